// The values every part of the HTTP contract is made of: ids, times and an id in the path.
// Pure zod, like the rest of src/api/contract/: the web app bundles it.
import { z } from 'zod';

export const Id = z.uuid({ error: 'expected a UUID' });
export const Timestamp = z.iso.datetime({ offset: true });

export const IdParams = z.strictObject({ id: Id });
