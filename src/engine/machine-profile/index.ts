/** Machine profiles: a destination computer as JSON, and what the engine derives from it. See docs/machine-profile.md. */
export {
  MACHINE_PROFILE_SCHEMA,
  machineProfileSchema,
  type Architecture,
  type Battery,
  type BusType,
  type CurrentOs,
  type Disk,
  type Environment,
  type EnvironmentExtras,
  type ExtraWmi,
  type ExtraWmiClass,
  type FileSystem,
  type MachineProfile,
  type MachineProfileInput,
  type MsiProduct,
  type NetworkAdapter,
  type Partition,
  type PartitionType,
  type PcSystemType,
  type PnpDevice,
  type Processor,
  type ProfileFile,
  type ProfileRegistryKey,
  type Tpm,
  type UserProfile,
  type WinPeSettings,
} from './schema.js';
export { parseMachineProfile, loadMachineProfile, formatPath } from './parse.js';
export { inventoryFor, mergeWmi, requireOsFor, partitionTypeText, ARCHITECTURE_CODE } from './inventory.js';
export { builtInVariablesFor, processEnvironmentFor } from './variables.js';
export { cimValueProblem, CATALOG as PROFILE_WMI_CATALOG } from './wmi-catalog.js';
