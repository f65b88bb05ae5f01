// The task's steps as a live graph: one node per step, coloured by its status, edges from what
// each step waits for, in layers from left to right (top to bottom when narrow). Read-only:
// nodes are selected, never moved.
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
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { Step } from './api';
import {
  layoutSteps,
  nodeHeight,
  nodeWidth,
  stepEdges,
  type Direction,
  type PlacedStep,
} from './graph-layout';

type StepNode = Node<{ step: Step; direction: Direction }, 'step'>;

const nodeTypes = { step: StepNodeView };

/** Below this width the layers go top to bottom, so that nodes keep a readable size. */
const narrowWidth = 560;

/** The edges' colours, also in task.css: markers take a colour, not a class. */
const edgeColors = { active: '#3b5bdb', travelled: '#8c95a8', ahead: '#c3c9d6' };

const fitOptions = { padding: 0.12, maxZoom: 1 };

export function StepGraph(props: {
  steps: Step[];
  selectedKey: string | null;
  onSelect: (key: string) => void;
}) {
  const { steps, selectedKey, onSelect } = props;
  const container = useRef<HTMLDivElement>(null);
  const width = useWidth(container);
  const direction: Direction = width !== null && width < narrowWidth ? 'down' : 'right';

  const layout = useMemo(() => {
    const edges = stepEdges(steps);
    const placed = layoutSteps(steps, edges, direction);
    const byKey = new Map(steps.map((step) => [step.key, step]));
    return {
      placed,
      nodes: placed.map(({ step, x, y }): StepNode => ({
        id: step.key,
        type: 'step',
        position: { x, y },
        data: { step, direction },
        width: nodeWidth,
        height: nodeHeight,
        ariaLabel: `${step.key}, ${step.role}, ${step.status}`,
      })),
      edges: edges.map(({ source, target }): Edge => {
        const tone =
          byKey.get(target)?.status === 'running'
            ? 'active'
            : byKey.get(source)?.status === 'done'
              ? 'travelled'
              : 'ahead';
        return {
          id: `${source}->${target}`,
          source,
          target,
          animated: tone === 'active',
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
  }, [steps, direction]);

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
    for (const change of changes) {
      if (change.type === 'select' && change.selected) onSelect(change.id);
    }
  };

  const shape = `${direction}:${layout.nodes.map((node) => node.id).join(',')}`;
  return (
    <div
      ref={container}
      className="step-graph"
      style={{ height: heightOf(layout.placed, direction) }}
      data-testid="step-graph"
      data-direction={direction}
    >
      {/* Mounted again when the direction changes: the handles move, and are measured once. */}
      <ReactFlow
        key={direction}
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
        minZoom={0.2}
        maxZoom={1.5}
        fitView
        fitViewOptions={fitOptions}
      >
        <Controls showInteractive={false} position="bottom-right" />
        <FitOnChange shape={shape} width={width} />
      </ReactFlow>
    </div>
  );
}

/** Tall enough for the widest layer across, or for every layer down. */
function heightOf(placed: PlacedStep[], direction: Direction): number {
  if (direction === 'down') {
    const layers = Math.max(0, ...placed.map((place) => place.layer)) + 1;
    return Math.min(720, Math.max(220, layers * (nodeHeight + 44) + 48));
  }
  const perLayer = new Map<number, number>();
  for (const place of placed) perLayer.set(place.layer, (perLayer.get(place.layer) ?? 0) + 1);
  const rows = Math.max(1, ...perLayer.values());
  return Math.min(480, Math.max(200, rows * (nodeHeight + 24) + 72));
}

/** The element's width, kept up to date; null before it is laid out. */
function useWidth(element: RefObject<HTMLElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    if (!element.current) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(element.current);
    return () => observer.disconnect();
  }, [element]);
  return width;
}

/** Fits the view again when steps are added or the graph is resized. */
function FitOnChange({ shape, width }: { shape: string; width: number | null }) {
  const flow = useReactFlow();
  useEffect(() => {
    void flow.fitView({ ...fitOptions, duration: 200 });
  }, [flow, shape]);
  useEffect(() => {
    void flow.fitView(fitOptions);
  }, [flow, width]);
  return null;
}

function StepNodeView({ data: { step, direction }, selected }: NodeProps<StepNode>) {
  const isDown = direction === 'down';
  return (
    <div
      className={`step-node${selected ? ' is-selected' : ''}`}
      data-testid={`step-${step.key}`}
      data-status={step.status}
      title={step.attempts > 1 ? `Attempt ${step.attempts}. ${step.goal}` : step.goal}
    >
      <Handle
        type="target"
        position={isDown ? Position.Top : Position.Left}
        isConnectable={false}
      />
      <div className="step-node-key">
        <span className="step-node-dot" aria-hidden />
        {step.key}
      </div>
      <div className="step-node-meta">
        <span className="step-node-role">{step.role}</span>
        <span className="step-node-status">{step.status}</span>
      </div>
      <Handle
        type="source"
        position={isDown ? Position.Bottom : Position.Right}
        isConnectable={false}
      />
    </div>
  );
}
