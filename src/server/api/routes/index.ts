/** Every admin API route, by area. */
import type { AnyRoute } from '../route.js';
import { bootRoutes } from './boot-routes.js';
import { collectionRoutes } from './collection-routes.js';
import { consoleCollectionRoutes } from './console-collections-routes.js';
import { mpAdminRoutes } from './mp-admin-routes.js';
import { contentRoutes } from './content-routes.js';
import { monitoringRoutes } from './monitoring-routes.js';
import { objectsRoutes } from './objects-routes.js';
import { siteRoutes } from './site-routes.js';
import { taskSequenceRoutes } from './task-sequence-routes.js';
import { userstateRoutes } from './userstate-routes.js';

export const ALL_ROUTES: readonly AnyRoute[] = [
  ...siteRoutes,
  ...contentRoutes,
  ...objectsRoutes,
  ...consoleCollectionRoutes,
  ...collectionRoutes,
  ...taskSequenceRoutes,
  ...monitoringRoutes,
  ...mpAdminRoutes,
  ...userstateRoutes,
  ...bootRoutes,
];
