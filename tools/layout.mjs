// Lay out BPMN diagrams: `node tools/layout.mjs bpmn/x.bpmn …` rewrites each file with a fresh
// diagram (bpmndi) from bpmn-auto-layout. The process part is kept byte for byte;
// each flow node's incoming/outgoing references are derived from the sequence flows first, since
// the layouter follows them. Authors write or edit the process; this keeps everything laid out.
import { readFileSync, writeFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import { layoutProcess } from 'bpmn-auto-layout';

const camunda = JSON.parse(readFileSync(new URL('../node_modules/camunda-bpmn-moddle/resources/camunda.json', import.meta.url)));
const moddle = new BpmnModdle({ camunda });

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

// bpmn-auto-layout lays out a collapsed subprocess's content on its own grid but, lacking a plane
// for it, writes those shapes into the process plane on top of the main flow. Move every shape and
// edge whose element sits in a subprocess to that subprocess's own drill-down plane (as Modeler does).
async function drillDownPlanes(xml) {
  const { rootElement: defs } = await moddle.fromXML(xml);
  const main = defs.diagrams[0].plane;
  const planes = new Map();
  const kept = [];
  for (const di of main.planeElement) {
    const parent = di.bpmnElement && di.bpmnElement.$parent;
    if (!parent || parent.$type !== 'bpmn:SubProcess') {
      kept.push(di);
      continue;
    }
    let plane = planes.get(parent);
    if (!plane) {
      plane = moddle.create('bpmndi:BPMNPlane', { id: `BPMNPlane_${parent.id}`, bpmnElement: parent, planeElement: [] });
      defs.diagrams.push(moddle.create('bpmndi:BPMNDiagram', { id: `BPMNDiagram_${parent.id}`, plane }));
      planes.set(parent, plane);
    }
    plane.planeElement.push(di);
  }
  main.planeElement = kept;
  return (await moddle.toXML(defs, { format: true })).xml;
}

for (const file of process.argv.slice(2)) {
  const xml = readFileSync(file, 'utf8');
  const { rootElement: definitions } = await moddle.fromXML(xml);
  definitions.diagrams = [];
  for (const root of definitions.rootElements) {
    if (root.$type === 'bpmn:Process') linkFlows(root);
  }
  const { xml: linked } = await moddle.toXML(definitions, { format: true });
  const laidOut = await drillDownPlanes(await layoutProcess(linked));
  // Only the diagram comes from the layouter: the process XML stays exactly as written, so no
  // extension attribute the moddle does not know (e.g. camunda:calledElementBinding) can be lost.
  const diagrams = laidOut.match(/^[ \t]*<bpmndi:BPMNDiagram[\s\S]*?<\/bpmndi:BPMNDiagram>\n?/gm) || [];
  const processPart = xml.replace(/^[ \t]*<bpmndi:BPMNDiagram[\s\S]*?<\/bpmndi:BPMNDiagram>\n?/gm, '');
  const result = processPart.replace(/<\/bpmn:definitions>\s*$/, `${diagrams.join('')}</bpmn:definitions>\n`);
  writeFileSync(file, result);
  console.log(`laid out ${file}`);
}
