-- Cadre runs a project's tests itself on the tree a merge would make, and merges only when they
-- pass. test_command overrides the detected command (NULL: detect it from the repository);
-- allow_untested_merge lets a project without any test command merge unverified (off by default).
ALTER TABLE projects ADD COLUMN test_command text;
ALTER TABLE projects ADD COLUMN allow_untested_merge boolean NOT NULL DEFAULT false;
