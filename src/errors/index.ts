export { CadreError, validationError, notFound } from './cadre-error.js';
export type { CadreErrorOptions } from './cadre-error.js';
export { errorCodes } from './codes.js';
export type { ErrorCode } from './codes.js';
