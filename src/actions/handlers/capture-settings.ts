/**
 * Capture Windows Settings and Capture Network Settings (task-sequence-format §8.14, §8.15): the
 * installed OS's computer name, time zone, registration, and domain or workgroup, into the OSD*
 * variables the apply steps read. Predicted from the machine profile's installed OS (no handler
 * reads a real registry here yet).
 */
import { isTrue } from '../../sequence/model/options.js';
import { captureNetworkSettings, captureWindowsSettings } from '../../sequence/catalog/index.js';
import { defineHandler, predictSet } from '../handler.js';

const FROM_PROFILE = "the installed OS's settings are those of the machine profile (no registry was read)";

export const captureWindowsSettingsHandler = defineHandler(captureWindowsSettings, {
  simulate: (ctx) => {
    const { x, machine: m } = ctx;
    if (isTrue(x.properties.OSDMigrateComputerName ?? 'true')) predictSet(ctx, 'OSDComputerName', m.computerName);
    if (isTrue(x.properties.OSDMigrateTimeZone ?? 'true')) predictSet(ctx, 'OSDTimeZone', m.timeZone);
    if (isTrue(x.properties.OSDMigrateRegistrationInfo ?? 'true')) {
      predictSet(ctx, 'OSDRegisteredOrgName', m.registeredOrganization);
      predictSet(ctx, 'OSDRegisteredUserName', m.registeredOwner);
    }
    return { exitCode: 0, predicted: { assumed: [FROM_PROFILE] } };
  },
});

export const captureNetworkSettingsHandler = defineHandler(captureNetworkSettings, {
  simulate: (ctx) => {
    const { x, machine: m } = ctx;
    if (isTrue(x.properties.OSDMigrateNetworkMembership ?? 'true')) {
      if (m.domain) {
        predictSet(ctx, 'OSDNetworkJoinType', '0');
        predictSet(ctx, 'OSDDomainName', m.domain);
      } else if (m.workgroup) {
        predictSet(ctx, 'OSDNetworkJoinType', '1');
        predictSet(ctx, 'OSDWorkgroupName', m.workgroup);
      }
    }
    if (isTrue(x.properties.OSDMigrateAdapterSettings ?? 'true')) predictSet(ctx, 'OSDAdapterCount', '0');
    return { exitCode: 0, predicted: { assumed: [FROM_PROFILE] } };
  },
});
