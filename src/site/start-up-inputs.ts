/**
 * What a site is opened with, in the site's own words: the `input` of an error about how the site
 * was started or recovered (its data folder, its database, its key file …). Each interface says
 * how its user gives them: the CLI maps these words to `osd server`'s options (--data, --database,
 * --key-file …), a program calling openSite to the fields of SiteOptions.
 */
export const START_UP_INPUT = {
  dataFolder: 'data folder',
  database: 'database',
  keyFile: 'key file',
  siteCode: 'site code',
  sourceRoots: 'source roots',
} as const;

export type StartUpInput = (typeof START_UP_INPUT)[keyof typeof START_UP_INPUT];
