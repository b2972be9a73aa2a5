/**
 * The task sequence model: what a ConfigMgr or MDT task sequence *is*, independent of XML.
 *
 * Attribute-backed fields are optional: `undefined` means the attribute was absent (ConfigMgr
 * omits false booleans, MDT writes them), so a round trip writes exactly what it read. Use the
 * helpers in `options.ts` (`isDisabled`, `successCodesOf`, …) for the effective values.
 *
 * Everything the model does not understand is kept, never dropped: unknown attributes in
 * `extraAttributes`, unknown elements, comments and stray text as `RawXml` items (serialised XML),
 * and layout details in the optional `xml` hints. Spec: task-sequence-format.md §1–§9.
 */

/** `runIn`: the SupportedEnvironment of a step (task-sequence-format §4). */
export type RunIn = 'WinPE' | 'FullOS' | 'WinPEandFullOS';

export interface TaskSequence {
  /** `<sequence version>`: 3.00 (MDT, older exports) or 3.10 (current ConfigMgr). */
  version: string;
  /** `<sequence name>` / `description` — written by MDT; ConfigMgr keeps these on the package. */
  name?: string;
  description?: string;
  /** `<referenceList>`: content used anywhere in the TS; undefined when the element is absent. */
  references?: ContentReference[];
  /** `<globalVarList>`; undefined when absent. */
  globalVariables?: StepVariable[];
  items: SequenceItem[];
  extraAttributes?: Record<string, string>;
  /** Where the sequence came from and what surrounded it (wrapper package, console export). */
  envelope?: Envelope;
  xml?: SequenceXmlHints;
}

export interface ContentReference {
  package?: string;
  program?: string;
  application?: string;
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

export type SequenceItem = Group | Step | RawXml;

export interface ItemCommon {
  name: string;
  description?: string;
  /** `disable="true"`: the item and its children never run. */
  disable?: boolean;
  /** `continueOnError="true"`: a failure of this item does not fail its parent. */
  continueOnError?: boolean;
  condition?: Condition;
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

export interface Group extends ItemCommon {
  kind: 'group';
  /** MDT Workbench UI state (tree node expanded); no run-time meaning. */
  expand?: boolean;
  /** MDT writes an empty `<action />` in many groups; kept for the round trip, ignored at run time. */
  action?: string;
  items: SequenceItem[];
}

export interface Step extends ItemCommon {
  kind: 'step';
  /** `<subtasksequence>` (Run Task Sequence) rather than `<step>`. */
  element?: 'subtasksequence';
  /** WMI class (e.g. SMS_TaskSequence_RunCommandLineAction) or MDT BDD_* type; absent on MDT typeless steps. */
  type?: string;
  /** Space-separated success exit codes, e.g. "0 3010" (kept as written; see successCodesOf). */
  successCodeList?: string;
  runIn?: RunIn | string;
  /** Seconds; only present when the step's time-out is enabled. */
  timeout?: number;
  /** "Retry this step if the computer unexpectedly restarts" count. */
  retryCount?: number;
  runFromNet?: boolean;
  /** MDT working directory. */
  startIn?: string;
  /** The command line the engine runs (`<action>`); undefined when the element is absent. */
  action?: string;
  /** `<defaultVarList>`: the step's properties; undefined when the element is absent. */
  variables?: StepVariable[];
}

/** A `<variable name= property= hidden=>value</variable>` of a defaultVarList or globalVarList. */
export interface StepVariable {
  /** The task sequence variable the property is published as (e.g. OSDImageIndex). */
  name: string;
  /** The WMI property of the step class (e.g. ImageIndex); absent on some MDT variables. */
  property?: string;
  /** Not published as a run-time variable (command-line argument, package ID, …). */
  hidden?: boolean;
  value: string;
  /**
   * A secret set in OpenOSD (a password from the wizard): kept in memory for the engine, but every
   * export writes it empty, as ConfigMgr's do (task-sequence-format §1). Never set by an import.
   */
  secret?: true;
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

/** A `<condition>`: its operands are AND-ed. */
export interface Condition {
  operands: ConditionNode[];
  extraAttributes?: Record<string, string>;
}

export type ConditionNode = ConditionOperator | ConditionExpression | RawXml;

export interface ConditionOperator {
  kind: 'operator';
  /** and | or | not (kept as written, compared case-insensitively). */
  operator: string;
  operands: ConditionNode[];
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

export interface ConditionExpression {
  kind: 'expression';
  /** e.g. SMS_TaskSequence_VariableConditionExpression. */
  type: string;
  /** The `<variable name="…">value</variable>` children, in order. */
  properties: ExpressionProperty[];
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

export interface ExpressionProperty {
  name: string;
  value: string;
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

/** Anything we keep verbatim: an unknown element, a comment, stray text (serialised XML). */
export interface RawXml {
  kind: 'raw';
  xml: string;
}

/** Layout details for a lossless round trip; absent when the node is written the usual way. */
export interface NodeXmlHints {
  /** Attribute names in source order, space-separated (only when it differs from the usual order). */
  attributes?: string;
  /** Raw attribute spellings that the typed field does not reproduce (e.g. disable="True"). */
  raw?: Record<string, string>;
  /** Child element order, space-separated, when it differs from the usual order (e.g. "defaultVarList action"). */
  children?: string;
  /** Unknown child nodes of a step element, placed by `children` as "#0", "#1", … */
  extra?: string[];
  /** Unknown nodes inside a list (defaultVarList, expression variables): [insert before entry i, xml]. */
  listExtra?: Array<[number, string]>;
}

export interface SequenceXmlHints extends NodeXmlHints {
  /** Output layout: indentation unit (null = one line), newline, self-closing style. */
  indent?: string | null;
  newline?: '\n' | '\r\n';
  selfClose?: ' />' | '/>';
  referenceListExtra?: Array<[number, string]>;
  globalVarListExtra?: Array<[number, string]>;
  /** The document's XML declaration as read. */
  declaration?: string;
  /** Comments / processing instructions around the root (serialised XML). */
  prolog?: string[];
  epilog?: string[];
  /** Source text encoding (utf-8, utf-16le, …) and whether it had a byte order mark. */
  encoding?: string;
  bom?: boolean;
}

/** The container a `<sequence>` arrived in. */
export type Envelope = SequenceEnvelope | PackageEnvelope | ConsoleExportEnvelope;

export interface SequenceEnvelope {
  kind: 'sequence';
}

/** MDT "SCCM_*.xml" `<SmsTaskSequencePackage>` wrapper: the sibling elements are kept in order. */
export interface PackageEnvelope {
  kind: 'package';
  /** The wrapper document, serialised, with an empty `<sequence/>` where the sequence goes. */
  wrapperXml: string;
  /** Package properties read from the wrapper (Name, Description, BootImageID, …). */
  properties: Record<string, string>;
}

/** A ConfigMgr console export .zip (object.xml inside). */
export interface ConsoleExportEnvelope {
  kind: 'console-export';
  /** The task sequence's path inside the zip, e.g. SMS_TaskSequencePackage/XYZ00001/object.xml. */
  entry: string;
  /** Properties of the SMS_TaskSequencePackage instance other than Sequence (Name, PackageID, Type, …). */
  properties: Record<string, string>;
  /** All task sequences in the same zip, by object.xml path (an export can hold several). */
  others?: string[];
}
