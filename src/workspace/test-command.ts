// Which command runs a project's tests, read from the files of the tree being tested: the
// project's own setting first, then the usual files of each kind of project.

/** A test command and where it came from. */
export interface TestCommand {
  argv: string[];
  /** 'project' when set on the project, else the file it was detected from. */
  source: 'project' | 'package.json' | 'Makefile' | 'pytest' | 'go.mod' | 'Cargo.toml';
}

/** Reads a file of the tree (null when it is missing or unreadable) and lists a folder. */
export interface TreeReader {
  readFile(path: string): Promise<string | null>;
  listFolder(path: string): Promise<string[]>;
}

/** The command a project setting names, run by the sandbox's shell. */
export function configuredTestCommand(command: string): TestCommand {
  return { argv: ['sh', '-c', command], source: 'project' };
}

/**
 * The test command the tree's files imply, or null: package.json with a `test` script,
 * a Makefile with a `test` target, pytest's configuration or a tests/ folder of Python tests,
 * go.mod, Cargo.toml — the first that matches, in that order.
 */
export async function detectTestCommand(tree: TreeReader): Promise<TestCommand | null> {
  const packageJson = await tree.readFile('package.json');
  if (packageJson !== null && hasTestScript(packageJson)) {
    return { argv: ['npm', 'test'], source: 'package.json' };
  }
  const makefile = (await tree.readFile('Makefile')) ?? (await tree.readFile('makefile'));
  // A `test:` rule, not a `test := value` assignment.
  if (makefile !== null && /^test\s*:(?!=)/m.test(makefile)) {
    return { argv: ['make', 'test'], source: 'Makefile' };
  }
  if (await usesPytest(tree)) return { argv: ['python3', '-m', 'pytest'], source: 'pytest' };
  if ((await tree.readFile('go.mod')) !== null) {
    return { argv: ['go', 'test', './...'], source: 'go.mod' };
  }
  if ((await tree.readFile('Cargo.toml')) !== null) {
    return { argv: ['cargo', 'test'], source: 'Cargo.toml' };
  }
  return null;
}

function hasTestScript(packageJson: string): boolean {
  try {
    const parsed = JSON.parse(packageJson) as { scripts?: Record<string, unknown> } | null;
    const script = parsed?.scripts?.test;
    return typeof script === 'string' && script.trim() !== '';
  } catch {
    return false;
  }
}

async function usesPytest(tree: TreeReader): Promise<boolean> {
  if ((await tree.readFile('pytest.ini')) !== null) return true;
  if (/^\[tool\.pytest/m.test((await tree.readFile('pyproject.toml')) ?? '')) return true;
  if (/^\[tool:pytest\]/m.test((await tree.readFile('setup.cfg')) ?? '')) return true;
  const tests = await tree.listFolder('tests');
  return tests.some((name) => /^(test_.*|.*_test|conftest)\.py$/.test(name));
}
