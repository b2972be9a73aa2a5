/** Routes of this area (being written). */
import type { AnyRoute } from '../route.js';

export const collectionRoutes: AnyRoute[] = [];
