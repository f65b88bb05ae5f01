// The settings of a project that decide how Cadre verifies a merge: the command that runs its
// tests and whether it may merge unverified. Pure zod: the web app bundles it.
import { z } from 'zod';

/** A shell command line run in the sandbox at the checkout's root; null: detect it. */
export const TestCommandSetting = z
  .string()
  .trim()
  .min(1, 'must not be empty; send null to detect the command')
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => !/[\0\r\n]/.test(value), { message: 'must be one line' })
  .nullable();

/** Whether a project with no test command set or detected may merge without verification. */
export const AllowUntestedMergeSetting = z.boolean();
