// Lay out BPMN diagrams: `node tools/layout.mjs bpmn/x.bpmn …` rewrites each file with a fresh
// diagram (bpmndi) from bpmn-auto-layout. The process part (zeebe extensions included) is kept;
// each flow node's incoming/outgoing references are derived from the sequence flows first, since
// the layouter follows them. Authors write or edit the process; this keeps everything laid out.
import { readFileSync, writeFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import { layoutProcess } from 'bpmn-auto-layout';

const zeebe = JSON.parse(readFileSync(new URL('../node_modules/zeebe-bpmn-moddle/resources/zeebe.json', import.meta.url)));
const moddle = new BpmnModdle({ zeebe });

function linkFlows(container) {
  const elements = container.flowElements || [];
  for (const el of elements) {
    if (el.$instanceOf('bpmn:FlowNode')) {
      el.incoming = [];
      el.outgoing = [];
    }
  }
  for (const el of elements) {
    if (el.$type === 'bpmn:SequenceFlow') {
      el.sourceRef.outgoing.push(el);
      el.targetRef.incoming.push(el);
    }
    if (el.flowElements) linkFlows(el);
  }
}

for (const file of process.argv.slice(2)) {
  const xml = readFileSync(file, 'utf8');
  const { rootElement: definitions } = await moddle.fromXML(xml);
  definitions.diagrams = [];
  for (const root of definitions.rootElements) {
    if (root.$type === 'bpmn:Process') linkFlows(root);
  }
  const { xml: linked } = await moddle.toXML(definitions, { format: true });
  let laidOut = await layoutProcess(linked);
  const rootAttrs = xml.match(/<bpmn:definitions[^>]*>/)[0];
  laidOut = laidOut.replace(/<bpmn:definitions[^>]*>/, rootAttrs);
  writeFileSync(file, laidOut.endsWith('\n') ? laidOut : laidOut + '\n');
  console.log(`laid out ${file}`);
}
