/**
 * The machine facts the agent needs, read from a machine profile (src/engine/machine-profile/):
 * MAC addresses and SMBIOS GUID to be found by the site (§3.2), architecture and firmware for the
 * boot image and the refusal check, model and language for pre-cache (§4.4). A real computer's
 * agent reads the same facts from the firmware and the OS; the lab gives its machine's profile.
 */
import type { MachineProfile } from '../engine/machine-profile/index.js';
import type { AgentEnvironment, MachineFacts } from './protocol.js';

export function machineFactsOf(profile: MachineProfile, environment: AgentEnvironment): MachineFacts {
  const language = environment === 'os' ? profile.currentOs?.language : (profile.environments?.winpe?.language ?? profile.currentOs?.language);
  return {
    macAddresses: profile.networkAdapters.map((a) => a.mac).filter((m) => m !== ''),
    ...(profile.uuid ? { smbiosGuid: profile.uuid } : {}),
    architecture: profile.architecture,
    firmware: profile.firmware,
    ...(profile.model ? { model: profile.model } : {}),
    ...(language ? { language } : {}),
    environment,
    ...(environment === 'os' && profile.currentOs?.computerName ? { name: profile.currentOs.computerName } : {}),
  };
}
