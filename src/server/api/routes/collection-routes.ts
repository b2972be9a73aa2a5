/**
 * Devices, collections, variables and computer associations (osd-features §3.1–§3.4).
 * collection.write: collections, their rules and variables; device.write: importing computers,
 * device variables, computer associations; read: every GET. Masked variable values are never in
 * an answer: the schemas have `value: null` for them and the services never read them out.
 */
import { z } from 'zod';
import { createAssociation, deleteAssociation, listAssociations, USER_ACCOUNT_MODES } from '../../../site/devices/associations.js';
import { importComputersFromCsv } from '../../../site/devices/csv-import.js';
import { deleteDevice, getDeviceJson, importComputer, listDevices, updateDevice } from '../../../site/devices/devices.js';
import {
  createCollection,
  deleteCollection,
  evaluateCollection,
  getCollection,
  listCollections,
  listMembers,
  updateCollection,
} from '../../../site/collections/collections.js';
import { addRule, listRules, removeRule } from '../../../site/collections/rules.js';
import { deleteVariable, getVariable, listVariables, setVariable, type VariableOwner } from '../../../site/collections/variables.js';
import { MAX_QUERY_LENGTH, MAX_SEARCH_LENGTH } from '../../../site/collections/limits.js';
import { JsonText, route } from '../route.js';

const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const device = z.object({
  resourceId: z.number(),
  name: z.string(),
  smbiosGuid: z.string().nullable(),
  macAddresses: z.array(z.string()),
  unknownComputer: z.string().nullable(),
  isSiteSystem: z.boolean(),
  isServer: z.boolean(),
  client: z.boolean(),
  properties: z.record(z.string(), propertyValue),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** GET /devices/:resourceId's answer (exported for the test that holds getDeviceJson to it). */
export const deviceWithCollections = device.extend({ collections: z.array(z.object({ collectionId: z.string(), name: z.string() })) });
const association = z.object({
  id: z.number(),
  sourceResourceId: z.number(),
  sourceName: z.string(),
  destinationResourceId: z.number(),
  destinationName: z.string(),
  userAccounts: z.enum(USER_ACCOUNT_MODES),
  accounts: z.array(z.string()),
  createdAt: z.string(),
});
const imported = z.object({ device, overwritten: z.boolean(), association: association.optional() });
const collection = z.object({
  collectionId: z.string(),
  name: z.string(),
  comment: z.string(),
  limitingCollectionId: z.string().nullable(),
  limitingCollectionName: z.string().nullable(),
  builtIn: z.boolean(),
  variablePriority: z.number(),
  memberCount: z.number(),
  evaluatedAt: z.string().nullable(),
  ruleCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const rule = z.object({
  ruleId: z.number(),
  kind: z.enum(['direct', 'query', 'include', 'exclude']),
  name: z.string(),
  resourceId: z.number().nullable(),
  query: z.string().nullable(),
  collectionId: z.string().nullable(),
});
/**
 * Ids (ResourceIDs, rule and association numbers) are whole numbers from 1 to 2^53 − 1 (zod's int
 * is safe-integer bounded): 2^63, 1e300, -1 or 1.5 are a 400, never a database error.
 */
const id = z.number().int().min(1);
const idParam = z.coerce.number().int().min(1);
const ruleInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct'), resourceId: id, name: z.string().max(256).optional() }).strict(),
  z.object({ kind: z.literal('query'), query: z.string().min(1).max(MAX_QUERY_LENGTH), name: z.string().max(256).optional() }).strict(),
  z.object({ kind: z.literal('include'), collectionId: z.string(), name: z.string().max(256).optional() }).strict(),
  z.object({ kind: z.literal('exclude'), collectionId: z.string(), name: z.string().max(256).optional() }).strict(),
]);
const evaluation = z.array(z.object({ collectionId: z.string(), memberCount: z.number() }));
/** A masked variable's value is always null here. */
const variable = z.object({ name: z.string(), value: z.string().nullable(), masked: z.boolean() });
const variableBody = z.object({ value: z.string().optional(), masked: z.boolean().optional() }).strict();
const resourceParams = z.object({ resourceId: idParam });
const collectionParams = z.object({ collectionId: z.string() });
const userAccounts = { userAccounts: z.enum(USER_ACCOUNT_MODES).optional(), accounts: z.array(z.string()).optional() };
const page = { limit: z.coerce.number().int().min(1).max(1000).optional(), offset: z.coerce.number().int().min(0).optional() };

function variableRoutes(
  base: string,
  tag: string,
  permission: 'collection.write' | 'device.write',
  params: z.ZodType<Record<string, unknown>>,
  owner: (p: Record<string, unknown>) => VariableOwner,
) {
  const named = (params as z.ZodObject<z.ZodRawShape>).extend({ name: z.string() });
  return [
    route({
      method: 'GET',
      path: `${base}/variables`,
      tag,
      summary: 'List variables (masked values are never shown)',
      permission: 'read',
      params,
      response: z.array(variable),
      handler: async ({ site, params: p }) => listVariables(site.db, owner(p)),
    }),
    route({
      method: 'GET',
      path: `${base}/variables/:name`,
      tag,
      summary: 'One variable (masked values are never shown)',
      permission: 'read',
      params: named,
      response: variable,
      handler: async ({ site, params: p }) => getVariable(site.db, owner(p), String(p.name)),
    }),
    route({
      method: 'PUT',
      path: `${base}/variables/:name`,
      tag,
      summary: 'Create or replace a variable; masked: "Do not display this value" (osd-features §3.3)',
      permission,
      params: named,
      body: variableBody,
      response: variable,
      handler: async ({ site, actor, params: p, body }) => setVariable(site, actor, owner(p), String(p.name), body),
    }),
    route({
      method: 'DELETE',
      path: `${base}/variables/:name`,
      tag,
      summary: 'Delete a variable',
      permission,
      params: named,
      response: variable,
      handler: async ({ site, actor, params: p }) => deleteVariable(site.db, actor, owner(p), String(p.name)),
    }),
  ];
}

export const collectionRoutes = [
  // ---- devices
  route({
    method: 'GET',
    path: '/devices',
    tag: 'devices',
    summary: 'List devices; search matches the name, a MAC, an SMBIOS GUID or a ResourceID',
    description:
      'Page with `cursor` (the `nextCursor` of the previous answer): as fast on the last page as on the first. `offset` works too but walks past every earlier device. `total` comes with the first page only.',
    permission: 'read',
    query: z.object({ search: z.string().max(MAX_SEARCH_LENGTH).optional(), cursor: z.string().max(2000).optional(), ...page }),
    response: z.object({
      total: z.number().nullable().describe('on the first page (no cursor) only'),
      devices: z.array(device),
      nextCursor: z.string().nullable(),
    }),
    handler: async ({ site, query }) => listDevices(site.db, query),
  }),
  route({
    method: 'POST',
    path: '/devices',
    tag: 'devices',
    summary: 'Import Computer Information: one computer (osd-features §3.2)',
    description: 'MACs are accepted as 00:11:22:33:44:55, 00-11-22-33-44-55, 001122334455 or 0011.2233.4455 and stored in the colon form the client needs.',
    permission: 'device.write',
    body: z
      .object({
        name: z.string(),
        mac: z.string().optional(),
        macAddresses: z.array(z.string()).optional(),
        smbiosGuid: z.string().optional(),
        sourceComputer: z.string().optional(),
        properties: z.record(z.string(), z.unknown()).optional(),
        collectionId: z.string().optional(),
        overwriteExisting: z.boolean().optional(),
        ...userAccounts,
      })
      .strict(),
    response: imported,
    status: 201,
    handler: async ({ site, actor, body }) => {
      const { collectionId, overwriteExisting, userAccounts: ua, accounts, ...entry } = body;
      return importComputer(site.db, actor, entry, { collectionId, overwriteExisting, userAccounts: ua, accounts });
    },
  }),
  route({
    method: 'POST',
    path: '/devices/import-csv',
    tag: 'devices',
    summary: 'Import Computer Information from CSV text: all rows checked first, all or nothing',
    permission: 'device.write',
    body: z
      .object({
        csv: z.string(),
        mapping: z
          .object({ name: z.string().optional(), mac: z.string().optional(), smbiosGuid: z.string().optional(), sourceComputer: z.string().optional() })
          .strict()
          .optional(),
        collectionId: z.string().optional(),
        overwriteExisting: z.boolean().optional(),
        ...userAccounts,
      })
      .strict(),
    response: z.object({ imported: z.number(), overwritten: z.number(), computers: z.array(imported) }),
    status: 201,
    handler: async ({ site, actor, body }) => {
      const computers = await importComputersFromCsv(site.db, actor, body);
      return { imported: computers.length, overwritten: computers.filter((c) => c.overwritten).length, computers };
    },
  }),
  route({
    method: 'GET',
    path: '/devices/:resourceId',
    tag: 'devices',
    summary: 'One device, with the collections it is a member of',
    permission: 'read',
    params: resourceParams,
    response: deviceWithCollections,
    // Written by the database from this schema (getDeviceJson; test/site/devices/device-json.test.ts).
    handler: async ({ site, params }) => new JsonText(await getDeviceJson(site.db, params.resourceId)),
  }),
  route({
    method: 'PATCH',
    path: '/devices/:resourceId',
    tag: 'devices',
    summary: 'Change a device: name, MACs, SMBIOS GUID, inventory properties, flags',
    permission: 'device.write',
    params: resourceParams,
    body: z
      .object({
        name: z.string().optional(),
        macAddresses: z.array(z.string()).optional(),
        smbiosGuid: z.string().nullable().optional(),
        properties: z.record(z.string(), z.unknown()).optional(),
        isSiteSystem: z.boolean().optional(),
        isServer: z.boolean().optional(),
        client: z.boolean().optional(),
      })
      .strict(),
    response: device,
    handler: async ({ site, actor, params, body }) => updateDevice(site.db, actor, params.resourceId, body),
  }),
  route({
    method: 'DELETE',
    path: '/devices/:resourceId',
    tag: 'devices',
    summary: 'Delete a device with its memberships, variables and associations',
    permission: 'device.write',
    params: resourceParams,
    response: device,
    handler: async ({ site, actor, params }) => deleteDevice(site.db, actor, params.resourceId),
  }),
  ...variableRoutes('/devices/:resourceId', 'devices', 'device.write', resourceParams as unknown as z.ZodType<Record<string, unknown>>, (p) => ({
    kind: 'device',
    resourceId: Number(p.resourceId),
  })),

  // ---- collections
  route({
    method: 'GET',
    path: '/collections',
    tag: 'collections',
    summary: 'List collections (built-in first, then by name); all of them unless limit is given',
    permission: 'read',
    query: z.object({ search: z.string().max(MAX_SEARCH_LENGTH).optional(), ...page }),
    response: z.array(collection),
    handler: async ({ site, query }) => listCollections(site.db, query),
  }),
  route({
    method: 'POST',
    path: '/collections',
    tag: 'collections',
    summary: 'Create a collection (limited to All Systems unless told), optionally with rules; evaluated at once',
    permission: 'collection.write',
    body: z
      .object({
        name: z.string(),
        comment: z.string().max(4000).optional(),
        limitingCollectionId: z.string().optional(),
        variablePriority: z.number().int().optional(),
        rules: z.array(ruleInput).max(10_000).optional(),
      })
      .strict(),
    response: z.object({ collection, rules: z.array(rule) }),
    status: 201,
    handler: async ({ site, actor, body }) => createCollection(site.db, actor, site.siteCode, body),
  }),
  route({
    method: 'GET',
    path: '/collections/:collectionId',
    tag: 'collections',
    summary: 'One collection',
    permission: 'read',
    params: collectionParams,
    response: collection,
    handler: async ({ site, params }) => getCollection(site.db, params.collectionId),
  }),
  route({
    method: 'PATCH',
    path: '/collections/:collectionId',
    tag: 'collections',
    summary: 'Change name, comment, limiting collection or variable priority',
    permission: 'collection.write',
    params: collectionParams,
    body: z
      .object({
        name: z.string().optional(),
        comment: z.string().max(4000).optional(),
        limitingCollectionId: z.string().optional(),
        variablePriority: z.number().int().optional(),
      })
      .strict(),
    response: collection,
    handler: async ({ site, actor, params, body }) => updateCollection(site.db, actor, params.collectionId, body),
  }),
  route({
    method: 'DELETE',
    path: '/collections/:collectionId',
    tag: 'collections',
    summary: 'Delete a collection and its variables; refused while a deployment or another collection uses it',
    permission: 'collection.write',
    params: collectionParams,
    response: collection,
    handler: async ({ site, actor, params }) => deleteCollection(site.db, actor, params.collectionId),
  }),
  route({
    method: 'GET',
    path: '/collections/:collectionId/rules',
    tag: 'collections',
    summary: 'Membership rules',
    permission: 'read',
    params: collectionParams,
    response: z.array(rule),
    handler: async ({ site, params }) => listRules(site.db, params.collectionId),
  }),
  route({
    method: 'POST',
    path: '/collections/:collectionId/rules',
    tag: 'collections',
    summary: 'Add a membership rule (direct, query, include, exclude); the collection and its dependents are re-evaluated',
    permission: 'collection.write',
    params: collectionParams,
    body: ruleInput,
    response: z.object({ rule, evaluated: evaluation }),
    status: 201,
    handler: async ({ site, actor, params, body }) => addRule(site.db, actor, params.collectionId, body),
  }),
  route({
    method: 'DELETE',
    path: '/collections/:collectionId/rules/:ruleId',
    tag: 'collections',
    summary: 'Remove a membership rule; the collection and its dependents are re-evaluated',
    permission: 'collection.write',
    params: z.object({ collectionId: z.string(), ruleId: idParam }),
    response: z.object({ rule, evaluated: evaluation }),
    handler: async ({ site, actor, params }) => removeRule(site.db, actor, params.collectionId, params.ruleId),
  }),
  route({
    method: 'GET',
    path: '/collections/:collectionId/members',
    tag: 'collections',
    summary: 'Members as of the last evaluation, in name order; search a part of the name',
    description:
      'Page with `cursor` (the `nextCursor` of the previous answer): as fast on the last page as on the first. `offset` works too but walks past every earlier member. `total` is the member count; `matching` counts the members a search matches (first page only).',
    permission: 'read',
    params: collectionParams,
    query: z.object({ search: z.string().max(MAX_SEARCH_LENGTH).optional(), cursor: z.string().max(2000).optional(), ...page }),
    response: z.object({
      total: z.number(),
      matching: z.number().nullable().describe('with search, on the first page (no cursor) only'),
      nextCursor: z.string().nullable(),
      members: z.array(
        z.object({
          resourceId: z.number(),
          name: z.string(),
          smbiosGuid: z.string().nullable(),
          macAddresses: z.array(z.string()),
          unknownComputer: z.string().nullable(),
          client: z.boolean(),
        }),
      ),
    }),
    handler: async ({ site, params, query }) => listMembers(site.db, params.collectionId, query),
  }),
  route({
    method: 'POST',
    path: '/collections/:collectionId/evaluate',
    tag: 'collections',
    summary: 'Update membership now, then every collection that depends on it',
    permission: 'collection.write',
    params: collectionParams,
    response: z.object({ evaluated: evaluation }),
    handler: async ({ site, actor, params }) => ({ evaluated: await evaluateCollection(site.db, actor, params.collectionId) }),
  }),
  ...variableRoutes(
    '/collections/:collectionId',
    'collections',
    'collection.write',
    collectionParams as unknown as z.ZodType<Record<string, unknown>>,
    (p) => ({
      kind: 'collection',
      collectionId: String(p.collectionId),
    }),
  ),

  // ---- computer associations
  route({
    method: 'GET',
    path: '/computer-associations',
    tag: 'devices',
    summary: 'Computer associations (osd-features §3.4)',
    permission: 'read',
    query: z.object({ resourceId: idParam.optional() }),
    response: z.array(association),
    handler: async ({ site, query }) => listAssociations(site.db, query),
  }),
  route({
    method: 'POST',
    path: '/computer-associations',
    tag: 'devices',
    summary: 'Create a computer association; capture-restore-specified (the default) allows one per source computer',
    permission: 'device.write',
    body: z.object({ sourceResourceId: id, destinationResourceId: id, ...userAccounts }).strict(),
    response: association,
    status: 201,
    handler: async ({ site, actor, body }) => createAssociation(site.db, actor, body),
  }),
  route({
    method: 'DELETE',
    path: '/computer-associations/:id',
    tag: 'devices',
    summary: 'Delete a computer association',
    permission: 'device.write',
    params: z.object({ id: idParam }),
    response: association,
    handler: async ({ site, actor, params }) => deleteAssociation(site.db, actor, params.id),
  }),
];
