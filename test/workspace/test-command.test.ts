// Which command Cadre runs to test a tree before merging it: each kind of project is
// detected from its files, in a fixed order, and a project's own setting wins.
import { describe, expect, it } from 'vitest';
import {
  configuredTestCommand,
  detectTestCommand,
  type TreeReader,
} from '../../src/workspace/index.js';

/** A tree of the given files; folders are implied by the paths. */
function tree(files: Record<string, string>): TreeReader {
  return {
    readFile: async (path) => files[path] ?? null,
    listFolder: async (path) =>
      Object.keys(files)
        .filter((name) => name.startsWith(`${path}/`))
        .map((name) => name.slice(path.length + 1).split('/')[0]!),
  };
}

describe('detecting the test command', () => {
  it.each([
    [
      'package.json with a test script',
      { 'package.json': '{"scripts":{"test":"vitest run"}}' },
      ['npm', 'test'],
      'package.json',
    ],
    [
      'a Makefile with a test target',
      { Makefile: 'build:\n\tcc x.c\n\ntest: build\n\t./x --check\n' },
      ['make', 'test'],
      'Makefile',
    ],
    ['pytest.ini', { 'pytest.ini': '[pytest]\n' }, ['python3', '-m', 'pytest'], 'pytest'],
    [
      'pyproject.toml with pytest settings',
      { 'pyproject.toml': '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n' },
      ['python3', '-m', 'pytest'],
      'pytest',
    ],
    [
      'setup.cfg with pytest settings',
      { 'setup.cfg': '[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n' },
      ['python3', '-m', 'pytest'],
      'pytest',
    ],
    [
      'a tests/ folder of Python tests',
      { 'tests/test_math.py': 'def test_add(): pass\n' },
      ['python3', '-m', 'pytest'],
      'pytest',
    ],
    ['go.mod', { 'go.mod': 'module example.com/x\n' }, ['go', 'test', './...'], 'go.mod'],
    ['Cargo.toml', { 'Cargo.toml': '[package]\nname = "x"\n' }, ['cargo', 'test'], 'Cargo.toml'],
  ])('finds %s', async (_name, files, argv, source) => {
    expect(await detectTestCommand(tree(files))).toEqual({ argv, source });
  });

  it('finds nothing where no file names a test command', async () => {
    const trees: Record<string, string>[] = [
      {},
      { 'README.md': '# x' },
      { 'package.json': '{"scripts":{"build":"tsc"}}' },
      { 'package.json': '{"scripts":{"test":"  "}}' },
      { 'package.json': 'not json' },
      { Makefile: 'test := yes\nbuild:\n\tcc x.c\n' },
      { 'pyproject.toml': '[project]\nname = "x"\n' },
      { 'tests/fixture.txt': 'data' },
    ];
    for (const files of trees) {
      expect(await detectTestCommand(tree(files))).toBeNull();
    }
  });

  it('takes the first kind in order when a tree has several', async () => {
    const files = {
      'package.json': '{"scripts":{"test":"node test.js"}}',
      Makefile: 'test:\n\tpytest\n',
      'go.mod': 'module x\n',
    };
    expect((await detectTestCommand(tree(files)))?.source).toBe('package.json');
    const { ['package.json']: _, ...withoutNode } = files;
    expect((await detectTestCommand(tree(withoutNode)))?.source).toBe('Makefile');
  });

  it("runs a project's own command through the sandbox's shell", () => {
    expect(configuredTestCommand('make check && ./run-tests')).toEqual({
      argv: ['sh', '-c', 'make check && ./run-tests'],
      source: 'project',
    });
  });
});
