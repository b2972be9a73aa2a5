/**
 * The management point's route modules. A module is a function of the server's app and site that
 * returns its declared routes; app.ts registers and documents them all under /mp/v1. Add a module
 * here with one line.
 */
import type { FastifyInstance } from 'fastify';
import type { Site } from '../../../site/site.js';
import type { AnyMpRoute } from '../route.js';
import { driverRoutes } from './driver-routes.js';
import { logRoutes } from './log-routes.js';
import { policyRoutes } from './policy-routes.js';
import { registrationRoutes } from './registration-routes.js';
import { softwareRoutes } from './software-routes.js';
import { statusRoutes } from './status-routes.js';
import { userstateRoutes } from './userstate-routes.js';

export type MpRouteModule = (mp: { app: FastifyInstance; site: Site }) => readonly AnyMpRoute[];

export const MP_ROUTE_MODULES: readonly MpRouteModule[] = [
  registrationRoutes,
  policyRoutes,
  statusRoutes,
  logRoutes,
  driverRoutes,
  userstateRoutes,
  softwareRoutes,
];
