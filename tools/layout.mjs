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

// bpmn-auto-layout 1.3 lays out each collapsed subprocess on its own grid but writes every shape into
// the process's one plane, so the contents pile up on the main canvas. Move each subprocess's shapes
// and edges into its own diagram (Modeler's drill-down plane), recursively.
function splitSubprocessPlanes(definitions) {
  const rootPlane = definitions.diagrams[0].plane;
  const visit = (container) => {
    for (const el of container.flowElements || []) {
      if (el.$type !== 'bpmn:SubProcess') continue;
      const ids = new Set((el.flowElements || []).map((child) => child.id));
      const inside = (di) => di.bpmnElement && ids.has(di.bpmnElement.id);
      const moved = rootPlane.planeElement.filter(inside);
      rootPlane.planeElement = rootPlane.planeElement.filter((di) => !inside(di));
      const plane = moddle.create('bpmndi:BPMNPlane', { id: `BPMNPlane_${el.id}`, bpmnElement: el, planeElement: moved });
      definitions.diagrams.push(moddle.create('bpmndi:BPMNDiagram', { id: `BPMNDiagram_${el.id}`, plane }));
      visit(el);
    }
  };
  for (const root of definitions.rootElements) {
    if (root.$type === 'bpmn:Process') visit(root);
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
  const { rootElement: laidOutDefinitions } = await moddle.fromXML(await layoutProcess(linked));
  splitSubprocessPlanes(laidOutDefinitions);
  let { xml: laidOut } = await moddle.toXML(laidOutDefinitions, { format: true });
  const rootAttrs = xml.match(/<bpmn:definitions[^>]*>/)[0];
  laidOut = laidOut.replace(/<bpmn:definitions[^>]*>/, rootAttrs);
  writeFileSync(file, laidOut.endsWith('\n') ? laidOut : laidOut + '\n');
  console.log(`laid out ${file}`);
}
