/**
 * The wimlib-imagex calls that make the test install.wim (toolchain.md §3.1): capture and append a
 * tree, set Windows image properties. Reading the metadata back is `../wim.ts`'s readWimImages.
 */
import { runTool } from '../../storage/tools.js';

/** WINDOWS/ARCH codes (PROCESSOR_ARCHITECTURE_*): 0 x86, 5 ARM, 6 IA64, 9 x64, 12 arm64. */
export const WIM_ARCH_CODES = { x86: 0, x64: 9, arm64: 12 } as const;

export type WimArchitecture = keyof typeof WIM_ARCH_CODES;

export async function captureImage(wim: string, tree: string, name: string, description: string, flags: string, append: boolean): Promise<void> {
  const args = append
    ? ['append', tree, wim, name, description, `--flags=${flags}`]
    : ['capture', tree, wim, name, description, `--flags=${flags}`, '--compress=LZX'];
  await runTool('wimlib-imagex', args, { captureStdout: false });
}

/** Sets XML properties of one image (`PATH=VALUE`, e.g. `WINDOWS/ARCH` → "9"). */
export async function setImageProperties(wim: string, index: number, properties: Record<string, string | number>): Promise<void> {
  const args = ['info', wim, String(index)];
  for (const [key, value] of Object.entries(properties)) args.push('--image-property', `${key}=${value}`);
  await runTool('wimlib-imagex', args, { captureStdout: false });
}
