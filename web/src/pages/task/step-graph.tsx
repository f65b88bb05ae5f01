// The task's steps as a live graph: one node per step, coloured by its status, edges from what
// each step waits for, laid out left to right. Read-only: nodes are selected, never moved.
import {
  applyNodeChanges,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useReactFlow,
  type Edge,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState } from 'react';
import type { Step } from './api';
import { layoutSteps, nodeHeight, nodeWidth, stepEdges } from './graph-layout';

type StepNode = Node<{ step: Step }, 'step'>;

const nodeTypes = { step: StepNodeView };

/** The edges' colours, also in task.css: markers take a colour, not a class. */
const edgeColors = { active: '#3b5bdb', travelled: '#8c95a8', ahead: '#c3c9d6' };

export function StepGraph(props: {
  steps: Step[];
  selectedKey: string | null;
  onSelect: (key: string) => void;
}) {
  const { steps, selectedKey, onSelect } = props;
  const layout = useMemo(() => {
    const edges = stepEdges(steps);
    const byKey = new Map(steps.map((step) => [step.key, step]));
    return {
      nodes: layoutSteps(steps, edges).map(({ step, x, y }): StepNode => ({
        id: step.key,
        type: 'step',
        position: { x, y },
        data: { step },
        width: nodeWidth,
        height: nodeHeight,
        ariaLabel: `${step.key}, ${step.role}, ${step.status}`,
      })),
      edges: edges.map(({ source, target }): Edge => {
        const isActive = byKey.get(target)?.status === 'running';
        const isTravelled = byKey.get(source)?.status === 'done';
        const tone = isActive ? 'active' : isTravelled ? 'travelled' : 'ahead';
        return {
          id: `${source}->${target}`,
          source,
          target,
          animated: isActive,
          className: `step-edge-${tone}`,
          markerEnd: {
            type: MarkerType.ArrowClosed,
            width: 16,
            height: 16,
            color: edgeColors[tone],
          },
          focusable: false,
          selectable: false,
        };
      }),
    };
  }, [steps]);

  // Kept in state so that what React Flow measures stays with each node across updates.
  const [nodes, setNodes] = useState<StepNode[]>([]);
  useEffect(() => {
    setNodes((previous) => {
      const measured = new Map(previous.map((node) => [node.id, node.measured]));
      return layout.nodes.map((node) => ({
        ...node,
        measured: measured.get(node.id),
        selected: node.id === selectedKey,
      }));
    });
  }, [layout, selectedKey]);

  const onNodesChange = (changes: NodeChange<StepNode>[]) => {
    // Which node is selected is the page's: a click or Enter picks a step, nothing unpicks it.
    const measuring = changes.filter((change) => change.type !== 'select');
    if (measuring.length > 0) setNodes((current) => applyNodeChanges(measuring, current));
    for (const change of changes)
      if (change.type === 'select' && change.selected) onSelect(change.id);
  };

  const rows = Math.max(1, ...columnSizes(layout.nodes));
  const height = Math.min(460, Math.max(200, rows * (nodeHeight + 24) + 72));

  return (
    <div className="step-graph" style={{ height }} data-testid="step-graph">
      <ReactFlow
        nodes={nodes}
        edges={layout.edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        zoomOnScroll={false}
        zoomOnDoubleClick={false}
        preventScrolling={false}
        minZoom={0.25}
        maxZoom={1.5}
        fitView
        fitViewOptions={fitOptions}
      >
        <Controls showInteractive={false} position="bottom-right" />
        <FitOnChange shape={layout.nodes.map((node) => node.id).join(',')} />
      </ReactFlow>
    </div>
  );
}

const fitOptions = { padding: 0.15, maxZoom: 1 };

/** Fits the view again when steps are added, so that a growing plan stays in sight. */
function FitOnChange({ shape }: { shape: string }) {
  const flow = useReactFlow();
  useEffect(() => {
    void flow.fitView({ ...fitOptions, duration: 200 });
  }, [flow, shape]);
  return null;
}

function columnSizes(nodes: StepNode[]): number[] {
  const counts = new Map<number, number>();
  for (const node of nodes) counts.set(node.position.x, (counts.get(node.position.x) ?? 0) + 1);
  return [...counts.values()];
}

function StepNodeView({ data: { step }, selected }: NodeProps<StepNode>) {
  return (
    <div
      className={`step-node${selected ? ' is-selected' : ''}`}
      data-testid={`step-${step.key}`}
      data-status={step.status}
      title={step.goal}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="step-node-key">
        <span className="step-node-dot" aria-hidden />
        {step.key}
      </div>
      <div className="step-node-meta">
        <span className="step-node-role">{step.role}</span>
        <span className="step-node-status">
          {step.status}
          {step.attempts > 1 && ` · try ${step.attempts}`}
        </span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}
