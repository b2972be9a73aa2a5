/**
 * The values the Create Task Sequence Wizard writes on Apply Windows Settings without asking
 * (osd-features §1.2): the registered user is the console user's account name, the organization the
 * console computer's name, the time zone the console's — as an English Windows time zone ID (a
 * localized or IANA name silently becomes UTC on the computer, §1.2). A browser knows its IANA zone,
 * so the common ones are mapped here; any other zone is written as UTC, and the Summary shows it.
 */

/** IANA zone → Windows time zone ID (the CLDR windowsZones mapping, the zones most consoles are in). */
const WINDOWS_ZONES: Record<string, string> = {
  UTC: 'UTC',
  'Etc/UTC': 'UTC',
  'Etc/GMT': 'UTC',
  'Europe/London': 'GMT Standard Time',
  'Europe/Dublin': 'GMT Standard Time',
  'Europe/Lisbon': 'GMT Standard Time',
  'Europe/Berlin': 'W. Europe Standard Time',
  'Europe/Amsterdam': 'W. Europe Standard Time',
  'Europe/Vienna': 'W. Europe Standard Time',
  'Europe/Zurich': 'W. Europe Standard Time',
  'Europe/Rome': 'W. Europe Standard Time',
  'Europe/Stockholm': 'W. Europe Standard Time',
  'Europe/Oslo': 'W. Europe Standard Time',
  'Europe/Paris': 'Romance Standard Time',
  'Europe/Brussels': 'Romance Standard Time',
  'Europe/Madrid': 'Romance Standard Time',
  'Europe/Copenhagen': 'Romance Standard Time',
  'Europe/Warsaw': 'Central European Standard Time',
  'Europe/Prague': 'Central Europe Standard Time',
  'Europe/Budapest': 'Central Europe Standard Time',
  'Europe/Helsinki': 'FLE Standard Time',
  'Europe/Kiev': 'FLE Standard Time',
  'Europe/Kyiv': 'FLE Standard Time',
  'Europe/Athens': 'GTB Standard Time',
  'Europe/Bucharest': 'GTB Standard Time',
  'Europe/Istanbul': 'Turkey Standard Time',
  'Europe/Moscow': 'Russian Standard Time',
  'America/New_York': 'Eastern Standard Time',
  'America/Toronto': 'Eastern Standard Time',
  'America/Detroit': 'Eastern Standard Time',
  'America/Chicago': 'Central Standard Time',
  'America/Winnipeg': 'Central Standard Time',
  'America/Mexico_City': 'Central Standard Time (Mexico)',
  'America/Denver': 'Mountain Standard Time',
  'America/Edmonton': 'Mountain Standard Time',
  'America/Phoenix': 'US Mountain Standard Time',
  'America/Los_Angeles': 'Pacific Standard Time',
  'America/Vancouver': 'Pacific Standard Time',
  'America/Anchorage': 'Alaskan Standard Time',
  'Pacific/Honolulu': 'Hawaiian Standard Time',
  'America/Halifax': 'Atlantic Standard Time',
  'America/Sao_Paulo': 'E. South America Standard Time',
  'America/Argentina/Buenos_Aires': 'Argentina Standard Time',
  'America/Bogota': 'SA Pacific Standard Time',
  'Asia/Tokyo': 'Tokyo Standard Time',
  'Asia/Seoul': 'Korea Standard Time',
  'Asia/Shanghai': 'China Standard Time',
  'Asia/Hong_Kong': 'China Standard Time',
  'Asia/Singapore': 'Singapore Standard Time',
  'Asia/Kolkata': 'India Standard Time',
  'Asia/Calcutta': 'India Standard Time',
  'Asia/Dubai': 'Arabian Standard Time',
  'Asia/Jerusalem': 'Israel Standard Time',
  'Africa/Johannesburg': 'South Africa Standard Time',
  'Africa/Cairo': 'Egypt Standard Time',
  'Africa/Lagos': 'W. Central Africa Standard Time',
  'Australia/Sydney': 'AUS Eastern Standard Time',
  'Australia/Melbourne': 'AUS Eastern Standard Time',
  'Australia/Brisbane': 'E. Australia Standard Time',
  'Australia/Perth': 'W. Australia Standard Time',
  'Australia/Adelaide': 'Cen. Australia Standard Time',
  'Pacific/Auckland': 'New Zealand Standard Time',
};

/** The browser's time zone as a Windows time zone ID. */
export function windowsTimeZone(iana = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  return WINDOWS_ZONES[iana ?? ''] ?? 'UTC';
}

/**
 * The registered organization: ConfigMgr writes the console computer's name. A browser cannot know the
 * name of the computer it runs on, so the console writes the site's answers' default, CONSOLE.
 */
export const CONSOLE_COMPUTER_NAME = 'CONSOLE';
