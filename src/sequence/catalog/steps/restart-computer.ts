/**
 * Restart Computer / "Restart in Windows PE" — task-sequence-format §8.1.
 */
import { z } from 'zod';
import type { Step } from '../../model/task-sequence.js';
import { property, settingsCodec, withLayout } from '../settings-codec.js';
import { defineStepType } from '../step-type.js';

// Property order as ConfigMgr 3.10 writes it (by property name) [C: cm-export-all-step-types-catalog.xml].
const properties = [
  property('Message', 'SMSRebootMessage', { description: 'Notification shown before the restart (≤512 characters)' }),
  property('MessageTimeout', 'SMSRebootTimeout', {
    // SDK default 0; the editor's "notify the user" is on with 60 s (§8.1).
    default: '60',
    description: 'Seconds the notification is shown; 0 = no notification',
  }),
  property('Target', 'SMSRebootTarget', {
    hidden: true,
    description: 'WinPE = the boot image assigned to the task sequence, HD = the installed default OS',
  }),
];

export const REBOOT_TARGETS = ['WinPE', 'HD'] as const;

export const restartComputerSettingsSchema = withLayout({
  target: z.enum(REBOOT_TARGETS).optional(),
  message: z.string().optional(),
  messageTimeout: z.number().int().nonnegative().optional(),
});
export type RestartComputerSettings = z.infer<typeof restartComputerSettingsSchema>;

const settings = settingsCodec<RestartComputerSettings>({
  properties,
  schema: restartComputerSettingsSchema,
  read: (r) => ({
    target: r.choice('Target', REBOOT_TARGETS),
    message: r.string('Message'),
    messageTimeout: r.int('MessageTimeout', { min: 0 }),
  }),
  write: (s, w) => {
    w.string('Message', s.message);
    w.int('MessageTimeout', s.messageTimeout);
    w.string('Target', s.target);
  },
});

export const restartComputer = defineStepType<RestartComputerSettings>({
  type: 'SMS_TaskSequence_RebootAction',
  displayName: 'Restart Computer',
  aliases: ['Restart in Windows PE'],
  executable: 'smsboot.exe',
  runIn: 'WinPEandFullOS',
  successCodes: '0',
  retryCount: 0,
  properties,
  settings,
  // MOF `smsboot.exe /target:%1`. MDT Lite Touch templates leave Target empty and still save
  // `/target:WinPE` [C: mdt8456-lti-client-template.xml], so an empty target builds WinPE.
  buildAction: (step: Step) => {
    const target = settings.read(step.variables ?? []).settings.target;
    return `smsboot.exe /target:${target ?? 'WinPE'}`;
  },
  spec: 'task-sequence-format §8.1',
  // Asking again for the same restart does no harm (docs/decisions.md).
  rerunAfterUnexpectedRestart: true,
  restarts: {
    // WinPE: the boot image; HD, or nothing (ConfigMgr's default): the installed default OS. An
    // MDT template may leave the variable empty and say it in the command line (§8.1).
    into: (value, action) => {
      const target = (value('SMSRebootTarget') ?? value('Target') ?? '').trim() || /\/target:(\w+)/i.exec(action ?? '')?.[1] || 'HD';
      return /^winpe$/i.test(target) ? 'WinPE' : 'FullOS';
    },
  },
  examples: [
    {
      title: 'Restart in Windows PE (before a refresh partitions the disk)',
      settings: { target: 'WinPE', message: 'Restarting into Windows PE', messageTimeout: 60 },
    },
    { title: 'Restart into the installed operating system', settings: { target: 'HD' } },
  ],
});
