// Vite's `?worker` imports (the web tsconfig loads no vite/client types): a Worker class.
declare module '*?worker' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}
