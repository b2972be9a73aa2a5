/**
 * What our serializer and validator know about the answer-file schema (unattend.md §3): namespaces,
 * the component identity we emit, pass order, component order, the child order of every element we
 * write, and which elements refuse empty values or hold numbers.
 */
export const UNATTEND_NS = 'urn:schemas-microsoft-com:unattend';
export const WCM_NS = 'http://schemas.microsoft.com/WMIConfig/2002/State';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export type UnattendArch = 'amd64' | 'x86' | 'arm64';

export const PASSES = ['windowsPE', 'offlineServicing', 'generalize', 'specialize', 'auditSystem', 'auditUser', 'oobeSystem'] as const;
export type UnattendPass = (typeof PASSES)[number];

/** WIM metadata architecture → processorArchitecture (§3: 9 amd64, 0 x86 [C]; 12 arm64 [I]). */
export function archFromWim(architecture: number): UnattendArch {
  switch (architecture) {
    case 9:
      return 'amd64';
    case 0:
      return 'x86';
    case 12:
      return 'arm64';
    default:
      throw new Error(`WIM architecture ${architecture} has no answer-file processorArchitecture`);
  }
}

/** Everything but the name and architecture of the component identity we emit (§3 [C]). */
export const COMPONENT_IDENTITY = { publicKeyToken: '31bf3856ad364e35', language: 'neutral', versionScope: 'nonSxS' } as const;
export const IDENTITY_ATTRIBUTES = ['name', 'processorArchitecture', 'publicKeyToken', 'language', 'versionScope'] as const;

export const C = {
  shellSetup: 'Microsoft-Windows-Shell-Setup',
  internationalCore: 'Microsoft-Windows-International-Core',
  internationalCoreWinPE: 'Microsoft-Windows-International-Core-WinPE',
  unattendedJoin: 'Microsoft-Windows-UnattendedJoin',
  tcpip: 'Microsoft-Windows-TCPIP',
  dnsClient: 'Microsoft-Windows-DNS-Client',
  netbt: 'Microsoft-Windows-NetBT',
  pnpNonWinPE: 'Microsoft-Windows-PnpCustomizationsNonWinPE',
  pnpWinPE: 'Microsoft-Windows-PnpCustomizationsWinPE',
  deployment: 'Microsoft-Windows-Deployment',
  setup: 'Microsoft-Windows-Setup',
} as const;

/**
 * Component order inside a `<settings>` [I: cosmetic; chosen to reproduce unattend.md Examples A and B].
 * Components not listed keep their place.
 */
export const COMPONENT_ORDER: readonly string[] = [
  C.internationalCoreWinPE,
  C.setup,
  C.pnpWinPE,
  C.pnpNonWinPE,
  C.internationalCore,
  C.shellSetup,
  C.unattendedJoin,
  C.tcpip,
  C.dnsClient,
  C.netbt,
  C.deployment,
];

const CREDENTIALS = ['Domain', 'Password', 'Username'];
const HIDDEN_PASSWORD = ['Value', 'PlainText'];

/**
 * Child order per element, keyed by `Component/Path/To/Element` (list items by their element name).
 * The schema declares a sequence for these; the TCPIP `Interface` and `Route` orders are the two the
 * reference insists on (§3 [D]). Children not listed keep their place; elements not listed keep their
 * children's order.
 */
export const CHILD_ORDER: Readonly<Record<string, readonly string[]>> = {
  [C.shellSetup]: [
    'AutoLogon',
    'BluetoothTaskbarIconEnabled',
    'ComputerName',
    'ConvertibleSlateModePromptPreference',
    'CopyProfile',
    'DisableAutoDaylightTimeSet',
    'Display',
    'DoNotCleanTaskBar',
    'FirstLogonCommands',
    'FolderLocations',
    'LogonCommands',
    'OEMInformation',
    'OEMName',
    'OOBE',
    'ProductKey',
    'RegisteredOrganization',
    'RegisteredOwner',
    'ShowWindowsLive',
    'SignInMode',
    'StartPanelOff',
    'TaskbarLinks',
    'Themes',
    'TimeZone',
    'UserAccounts',
    'VisualEffects',
    'WindowsFeatures',
  ],
  [`${C.shellSetup}/OOBE`]: [
    'HideEULAPage',
    'HideLocalAccountScreen',
    'HideOEMRegistrationScreen',
    'HideOnlineAccountScreens',
    'HideWirelessSetupInOOBE',
    'NetworkLocation',
    'ProtectYourPC',
    'SkipMachineOOBE',
    'SkipUserOOBE',
    'UnattendEnableRetailDemo',
    'VMModeOptimizations',
  ],
  [`${C.shellSetup}/UserAccounts`]: ['AdministratorPassword', 'DomainAccounts', 'LocalAccounts'],
  [`${C.shellSetup}/UserAccounts/AdministratorPassword`]: HIDDEN_PASSWORD,
  [`${C.shellSetup}/UserAccounts/LocalAccounts/LocalAccount/Password`]: HIDDEN_PASSWORD,
  [`${C.shellSetup}/AutoLogon/Password`]: HIDDEN_PASSWORD,
  [C.internationalCore]: ['InputLocale', 'SystemLocale', 'UILanguage', 'UILanguageFallback', 'UserLocale'],
  [`${C.unattendedJoin}/Identification`]: [
    'Credentials',
    'DebugJoin',
    'DebugJoinOnlyOnThisError',
    'JoinDomain',
    'JoinWorkgroup',
    'MachineObjectOU',
    'MachinePassword',
    'TimeoutPeriodInMinutes',
    'UnsecureJoin',
  ],
  [`${C.unattendedJoin}/Identification/Credentials`]: CREDENTIALS,
  [`${C.tcpip}/Interfaces/Interface`]: ['Ipv4Settings', 'Ipv6Settings', 'Identifier', 'UnicastIpAddresses', 'Routes'],
  [`${C.tcpip}/Interfaces/Interface/Ipv4Settings`]: ['DhcpEnabled', 'Metric', 'RouterDiscoveryEnabled'],
  [`${C.tcpip}/Interfaces/Interface/Routes/Route`]: ['Identifier', 'Metric', 'NextHopAddress', 'Prefix'],
  [C.dnsClient]: [
    'DNSDomain',
    'DNSSuffixSearchOrder',
    'DisableDynamicUpdate',
    'DomainNameDevolutionLevel',
    'EnableAdapterDomainNameRegistration',
    'UseDomainNameDevolution',
    'Interfaces',
  ],
  [`${C.dnsClient}/Interfaces/Interface`]: ['Identifier', 'DNSDomain', 'DNSServerSearchOrder', 'DisableDynamicUpdate', 'EnableAdapterDomainNameRegistration'],
  [`${C.netbt}/Interfaces/Interface`]: ['NameServerList', 'NetbiosOptions', 'Identifier'],
  [`${C.pnpNonWinPE}/DriverPaths/PathAndCredentials`]: ['Path', 'Credentials'],
  [`${C.pnpNonWinPE}/DriverPaths/PathAndCredentials/Credentials`]: CREDENTIALS,
  [`${C.deployment}/RunSynchronous/RunSynchronousCommand`]: ['Order', 'Path', 'Description', 'WillReboot', 'Credentials'],
  [`${C.setup}/UserData`]: ['AcceptEula', 'FullName', 'Organization', 'ProductKey'],
  [`${C.setup}/UserData/ProductKey`]: ['Key', 'WillShowUI'],
};

/**
 * Elements that "do not support empty elements" (§3 [D]), by name. `ComputerName` is not here:
 * empty means "random name".
 */
export const NON_EMPTY_ELEMENTS: ReadonlySet<string> = new Set([
  'JoinDomain',
  'JoinWorkgroup',
  'MachineObjectOU',
  'ProductKey',
  'Key',
  'DNSDomain',
  'Identifier',
  'Path',
  // Credentials/* (UnattendedJoin, PnP driver paths, RunSynchronous) — matched by parent in the validator.
]);

/** Elements whose value is a number: a `%VAR%` there is not substituted (§7 [D]), so it is an error. */
export const NUMERIC_ELEMENTS: ReadonlySet<string> = new Set([
  'ProtectYourPC',
  'NetbiosOptions',
  'Metric',
  'Order',
  'TimeoutPeriodInMinutes',
  'DomainNameDevolutionLevel',
  'LogonCount',
  'SkipRearm',
]);

/** Environment variables ConfigMgr replaces with WinPE's values during Setup Windows and ConfigMgr (§7 step 4 [D]). */
export const WINPE_TRAP_VARIABLES = ['WINDIR', 'SystemRoot', 'ProgramFiles', 'SystemDrive'] as const;
