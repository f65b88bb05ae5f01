// splitPatch on output of the git command the server runs for a task's diff
// (`git diff --cached -M --binary <merge base>`, src/workspace/changes.ts), pasted as is.
import { describe, expect, it } from 'vitest';
import { splitPatch } from './patch';

const patch = (...lines: string[]) => lines.join('\n') + '\n';

describe('splitPatch', () => {
  it('numbers the lines of a modified file across two hunks', () => {
    const files = splitPatch(
      patch(
        'diff --git a/docs/notes.md b/docs/notes.md',
        'index ae121a6..7aa8443 100644',
        '--- a/docs/notes.md',
        '+++ b/docs/notes.md',
        '@@ -1,5 +1,5 @@',
        ' line one',
        '-line two',
        '+line 2',
        ' line three',
        ' line four',
        ' line five',
        '@@ -8,3 +8,4 @@ line seven',
        ' line eight',
        ' line nine',
        ' line ten',
        '+line eleven',
      ),
    );

    expect(files).toEqual([
      {
        path: 'docs/notes.md',
        additions: 2,
        deletions: 1,
        isBinary: false,
        lines: [
          { kind: 'hunk', text: '@@ -1,5 +1,5 @@' },
          { kind: 'context', text: 'line one', oldNumber: 1, newNumber: 1 },
          { kind: 'remove', text: 'line two', oldNumber: 2 },
          { kind: 'add', text: 'line 2', newNumber: 2 },
          { kind: 'context', text: 'line three', oldNumber: 3, newNumber: 3 },
          { kind: 'context', text: 'line four', oldNumber: 4, newNumber: 4 },
          { kind: 'context', text: 'line five', oldNumber: 5, newNumber: 5 },
          { kind: 'hunk', text: '@@ -8,3 +8,4 @@ line seven' },
          { kind: 'context', text: 'line eight', oldNumber: 8, newNumber: 8 },
          { kind: 'context', text: 'line nine', oldNumber: 9, newNumber: 9 },
          { kind: 'context', text: 'line ten', oldNumber: 10, newNumber: 10 },
          { kind: 'add', text: 'line eleven', newNumber: 11 },
        ],
      },
    ]);
  });

  it('splits several files and keeps their order, new and deleted ones by their real path', () => {
    const files = splitPatch(
      patch(
        'diff --git a/src/config.ts b/src/config.ts',
        'index 49db38a..cf8db0f 100644',
        '--- a/src/config.ts',
        '+++ b/src/config.ts',
        '@@ -1,2 +1,2 @@',
        ' export const greeting = "hello";',
        '-export const answer = 41;',
        '+export const answer = 42;',
        'diff --git a/src/math.ts b/src/math.ts',
        'new file mode 100644',
        'index 0000000..3b39966',
        '--- /dev/null',
        '+++ b/src/math.ts',
        '@@ -0,0 +1,3 @@',
        '+export function add(a: number, b: number) {',
        '+  return a + b;',
        '+}',
        'diff --git a/src/old.ts b/src/old.ts',
        'deleted file mode 100644',
        'index 6e263ab..0000000',
        '--- a/src/old.ts',
        '+++ /dev/null',
        '@@ -1 +0,0 @@',
        '-obsolete',
      ),
    );

    expect(files).toEqual([
      {
        path: 'src/config.ts',
        additions: 1,
        deletions: 1,
        isBinary: false,
        lines: [
          { kind: 'hunk', text: '@@ -1,2 +1,2 @@' },
          { kind: 'context', text: 'export const greeting = "hello";', oldNumber: 1, newNumber: 1 },
          { kind: 'remove', text: 'export const answer = 41;', oldNumber: 2 },
          { kind: 'add', text: 'export const answer = 42;', newNumber: 2 },
        ],
      },
      {
        path: 'src/math.ts',
        additions: 3,
        deletions: 0,
        isBinary: false,
        lines: [
          { kind: 'note', text: 'new file mode 100644' },
          { kind: 'hunk', text: '@@ -0,0 +1,3 @@' },
          { kind: 'add', text: 'export function add(a: number, b: number) {', newNumber: 1 },
          { kind: 'add', text: '  return a + b;', newNumber: 2 },
          { kind: 'add', text: '}', newNumber: 3 },
        ],
      },
      {
        path: 'src/old.ts',
        additions: 0,
        deletions: 1,
        isBinary: false,
        lines: [
          { kind: 'note', text: 'deleted file mode 100644' },
          { kind: 'hunk', text: '@@ -1 +0,0 @@' },
          { kind: 'remove', text: 'obsolete', oldNumber: 1 },
        ],
      },
    ]);
  });

  it('names a renamed file by its new path, with or without changes', () => {
    const files = splitPatch(
      patch(
        'diff --git a/src/moved.ts b/lib/moved.ts',
        'similarity index 74%',
        'rename from src/moved.ts',
        'rename to lib/moved.ts',
        'index 7a28df3..600d48a 100644',
        '--- a/src/moved.ts',
        '+++ b/lib/moved.ts',
        '@@ -2,3 +2,4 @@ alpha',
        ' beta',
        ' gamma',
        ' delta',
        '+epsilon',
        'diff --git a/src/renamed.ts b/src/same.ts',
        'similarity index 100%',
        'rename from src/renamed.ts',
        'rename to src/same.ts',
      ),
    );

    expect(files).toEqual([
      {
        path: 'lib/moved.ts',
        additions: 1,
        deletions: 0,
        isBinary: false,
        lines: [
          { kind: 'note', text: 'rename from src/moved.ts' },
          { kind: 'note', text: 'rename to lib/moved.ts' },
          { kind: 'hunk', text: '@@ -2,3 +2,4 @@ alpha' },
          { kind: 'context', text: 'beta', oldNumber: 2, newNumber: 2 },
          { kind: 'context', text: 'gamma', oldNumber: 3, newNumber: 3 },
          { kind: 'context', text: 'delta', oldNumber: 4, newNumber: 4 },
          { kind: 'add', text: 'epsilon', newNumber: 5 },
        ],
      },
      {
        path: 'src/same.ts',
        additions: 0,
        deletions: 0,
        isBinary: false,
        lines: [
          { kind: 'note', text: 'rename from src/renamed.ts' },
          { kind: 'note', text: 'rename to src/same.ts' },
        ],
      },
    ]);
  });

  it('marks binary files that git wrote as binary patches, and shows none of the data', () => {
    const files = splitPatch(
      patch(
        'diff --git a/logo.png b/logo.png',
        'index 029ace0fcbb58feb758971feed0457fd34dbb60b..d186a24a0630cd0af222b6d52209798fb4bfaf27 100644',
        'GIT binary patch',
        'literal 18',
        'ZcmeAS@N?(olHy`uVBq!ia0y~y1OOmw0^a}t',
        '',
        'literal 16',
        'XcmeAS@N?(olHy`uVBq!ia0vnc8m<D~',
        '',
        'diff --git a/old.bin b/old.bin',
        'deleted file mode 100644',
        'index 8352675d67aed6625ece79af41c27fdb4ee2e867..0000000000000000000000000000000000000000',
        'GIT binary patch',
        'literal 0',
        'HcmV?d00001',
        '',
        'literal 3',
        'KcmZQzWC8#H2LJ>B',
        '',
      ),
    );

    expect(files).toEqual([
      { path: 'logo.png', additions: 0, deletions: 0, isBinary: true, lines: [] },
      {
        path: 'old.bin',
        additions: 0,
        deletions: 0,
        isBinary: true,
        lines: [{ kind: 'note', text: 'deleted file mode 100644' }],
      },
    ]);
  });

  it('marks binary files that git only names as differing', () => {
    const files = splitPatch(
      patch(
        'diff --git a/new icon.bin b/new icon.bin',
        'new file mode 100644',
        'index 0000000..270ca78',
        'Binary files /dev/null and b/new icon.bin differ',
      ),
    );

    expect(files).toEqual([
      {
        path: 'new icon.bin',
        additions: 0,
        deletions: 0,
        isBinary: true,
        lines: [{ kind: 'note', text: 'new file mode 100644' }],
      },
    ]);
  });

  it('keeps a path with a space free of the tab git puts after it', () => {
    const [file] = splitPatch(
      patch(
        'diff --git a/my notes.txt b/my notes.txt',
        'new file mode 100644',
        'index 0000000..c450c9b',
        '--- /dev/null',
        '+++ b/my notes.txt\t',
        '@@ -0,0 +1 @@',
        '+a file with spaces',
      ),
    );

    expect(file?.path).toBe('my notes.txt');
  });

  it('says when a side has no newline at its end, without numbering the note', () => {
    const files = splitPatch(
      patch(
        'diff --git a/VERSION b/VERSION',
        'index 20cbb4d..5b9b97e 100644',
        '--- a/VERSION',
        '+++ b/VERSION',
        '@@ -1 +1 @@',
        '-no newline',
        '\\ No newline at end of file',
        '+no newline 2',
        '\\ No newline at end of file',
      ),
    );

    expect(files[0]?.lines).toEqual([
      { kind: 'hunk', text: '@@ -1 +1 @@' },
      { kind: 'remove', text: 'no newline', oldNumber: 1 },
      { kind: 'note', text: 'No newline at end of file' },
      { kind: 'add', text: 'no newline 2', newNumber: 1 },
      { kind: 'note', text: 'No newline at end of file' },
    ]);
  });

  it('shows a change of mode alone, which has no hunk', () => {
    const files = splitPatch(
      patch('diff --git a/run.sh b/run.sh', 'old mode 100644', 'new mode 100755'),
    );

    expect(files).toEqual([
      {
        path: 'run.sh',
        additions: 0,
        deletions: 0,
        isBinary: false,
        lines: [
          { kind: 'note', text: 'old mode 100644' },
          { kind: 'note', text: 'new mode 100755' },
        ],
      },
    ]);
  });

  it('counts removed and added lines that look like file headers as content', () => {
    const [file] = splitPatch(
      patch(
        'diff --git a/CHANGELOG.md b/CHANGELOG.md',
        'index 1111111..2222222 100644',
        '--- a/CHANGELOG.md',
        '+++ b/CHANGELOG.md',
        '@@ -1,2 +1,2 @@',
        '--- old rule',
        '+++ new rule',
        ' end',
      ),
    );

    expect(file).toEqual({
      path: 'CHANGELOG.md',
      additions: 1,
      deletions: 1,
      isBinary: false,
      lines: [
        { kind: 'hunk', text: '@@ -1,2 +1,2 @@' },
        { kind: 'remove', text: '-- old rule', oldNumber: 1 },
        { kind: 'add', text: '++ new rule', newNumber: 1 },
        { kind: 'context', text: 'end', oldNumber: 2, newNumber: 2 },
      ],
    });
  });

  it('finds no files in an empty diff', () => {
    expect(splitPatch('')).toEqual([]);
  });
});
