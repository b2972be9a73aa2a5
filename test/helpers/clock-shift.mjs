// Preloaded into a process (`node --import <this file> …`): its clock runs OSD_TEST_CLOCK_SHIFT_MS
// milliseconds ahead (Date.now() and new Date() without arguments), so a real `osd server` can be
// started "two hours later" to show what its sweeper does when a retention has run out.
const shift = Number(process.env.OSD_TEST_CLOCK_SHIFT_MS ?? '0');
if (!Number.isFinite(shift)) throw new Error(`OSD_TEST_CLOCK_SHIFT_MS is not a number of milliseconds: ${process.env.OSD_TEST_CLOCK_SHIFT_MS}`);
const RealDate = globalThis.Date;
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + shift);
    else super(...args);
  }
  static now() {
    return RealDate.now() + shift;
  }
}
globalThis.Date = ShiftedDate;
