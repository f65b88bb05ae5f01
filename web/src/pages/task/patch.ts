// A unified diff (git's) split per file into numbered lines for display. Pure.

export interface PatchLine {
  kind: 'add' | 'remove' | 'context' | 'hunk' | 'note';
  text: string;
  oldNumber?: number;
  newNumber?: number;
}

export interface FilePatch {
  path: string;
  lines: PatchLine[];
  additions: number;
  deletions: number;
  isBinary: boolean;
}

const hunkHeader = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Splits `git diff` output by file; the path is the new one, or the old for a deletion. */
export function splitPatch(patch: string): FilePatch[] {
  const files: FilePatch[] = [];
  let file: FilePatch | undefined;
  let oldNumber = 0;
  let newNumber = 0;
  let isInHunk = false;

  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const paths = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      file = {
        path: paths?.[2] ?? line.slice(11),
        lines: [],
        additions: 0,
        deletions: 0,
        isBinary: false,
      };
      files.push(file);
      isInHunk = false;
      continue;
    }
    if (!file) continue;
    const hunk = hunkHeader.exec(line);
    if (hunk) {
      oldNumber = Number(hunk[1]);
      newNumber = Number(hunk[2]);
      isInHunk = true;
      file.lines.push({ kind: 'hunk', text: line });
      continue;
    }
    if (!isInHunk) {
      // git ends a name that has a space with a tab, for patch(1); --binary writes the data.
      if (line.startsWith('+++ ') && line !== '+++ /dev/null')
        file.path = line.slice(6).replace(/\t$/, '');
      else if (line.startsWith('Binary files') || line === 'GIT binary patch') file.isBinary = true;
      else if (/^(new file|deleted file|rename from|rename to|old mode|new mode)/.test(line))
        file.lines.push({ kind: 'note', text: line });
      continue;
    }
    if (line.startsWith('+')) {
      file.additions++;
      file.lines.push({ kind: 'add', text: line.slice(1), newNumber: newNumber++ });
    } else if (line.startsWith('-')) {
      file.deletions++;
      file.lines.push({ kind: 'remove', text: line.slice(1), oldNumber: oldNumber++ });
    } else if (line.startsWith(' ')) {
      file.lines.push({
        kind: 'context',
        text: line.slice(1),
        oldNumber: oldNumber++,
        newNumber: newNumber++,
      });
    } else if (line.startsWith('\\')) {
      file.lines.push({ kind: 'note', text: line.slice(2) });
    }
  }
  return files;
}
