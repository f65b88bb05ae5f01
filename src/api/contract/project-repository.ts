// A project's upstream repository, credential, git host and delivery mode as the API takes
// them. Credentials are write-only: no schema here ever carries one back. Pure zod: the web
// app bundles it.
import { z } from 'zod';

const branchPattern =
  /^(?!-)(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;

/** A git branch name. */
export const BranchName = z
  .string()
  .trim()
  .regex(branchPattern, 'must be a branch name (letters, digits, . _ / -)');

/** Where the project's code comes from: a git URL, or a folder on the server. */
export const RepositorySourceInput = z.union([
  z.strictObject({ url: z.string().trim().min(1).max(2000) }),
  z.strictObject({ path: z.string().min(1).max(4096) }),
]);

/** An HTTPS token (with the user name to send, when the host wants one) or an SSH deploy key. */
export const CredentialInput = z.union([
  z.strictObject({
    token: z.string().min(1).max(4096),
    username: z.string().min(1).max(200).optional(),
  }),
  z.strictObject({
    sshKey: z
      .string()
      .max(20_000)
      .refine((value) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value), {
        message: 'must be a private key in PEM or OpenSSH form',
      }),
  }),
]);
export type CredentialInput = z.infer<typeof CredentialInput>;

export const DeliveryMode = z.enum(['pull-request', 'push', 'local']);
export type DeliveryMode = z.infer<typeof DeliveryMode>;

export const HostKind = z.enum(['github', 'gitlab', 'gitea']);
export type HostKind = z.infer<typeof HostKind>;

/** The git host's REST API root, e.g. https://api.github.com or https://gitlab.example/api/v4. */
export const HostApiUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !/\/\/[^/]*@/.test(value), { message: 'must not hold a user or password' });

/** owner/name on GitHub and Gitea, the project path on GitLab. */
export const HostRepository = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/, 'must be owner/name (or a GitLab group path)');

/** The fields of a project that say where its work comes from and goes to. */
export const ProjectRemoteFields = {
  remoteUrl: z.string().nullable(),
  remoteBranch: z.string().nullable(),
  deliveryMode: DeliveryMode,
  pushBranch: z.string().nullable(),
  hostKind: HostKind.nullable(),
  hostApiUrl: z.string().nullable(),
  hostRepository: z.string().nullable(),
  /** The kinds of secret the project holds ('git-token', 'ssh-key', 'host-token', …), never values. */
  secretKinds: z.array(z.string()),
};

/** Delivery and host settings, accepted on create and update. */
export const DeliveryInput = {
  deliveryMode: DeliveryMode.optional(),
  pushBranch: BranchName.nullable().optional(),
  hostKind: HostKind.nullable().optional(),
  hostApiUrl: HostApiUrl.nullable().optional(),
  hostRepository: HostRepository.nullable().optional(),
  /** The git host API's token (write-only), for pull requests. */
  hostToken: z.string().min(1).max(4096).optional(),
};
