/**
 * The Install Application and Install Software Updates steps' view of the site (src/actions/services.ts
 * ApplicationCatalog, SoftwareUpdateCatalog), answered by the management point
 * (`POST /mp/v1/applications`, `GET /mp/v1/software-updates`: src/site/mp/software.ts) with the
 * device credential. The packages the site names in its answers (applications' content, update
 * deployment packages) join the run's DownloadingContentLibrary, so their files come from a
 * distribution point into the cache exactly as the deployment's own content does: resumed, and
 * checked against their SHA-256 before a step sees them (0x80091007 otherwise).
 */
import { StepFailure, WIN32 } from '../actions/errors.js';
import type { ApplicationCatalog, ApplicationLookup, SoftwareUpdateCatalog, SoftwareUpdateOffer } from '../actions/services.js';
import type { DownloadingContentLibrary } from './download.js';
import type { MpClient } from './mp-client.js';
import type { ContentPackage } from './protocol.js';

type SitePackage = Pick<ContentPackage, 'packageId' | 'name' | 'sourceVersion' | 'sizeBytes' | 'files' | 'locations'>;

/** `POST /mp/v1/applications`. */
export interface ApplicationsAnswer extends ApplicationLookup {
  packages: SitePackage[];
}

/** `GET /mp/v1/software-updates`. */
export interface SoftwareUpdatesAnswer {
  updates: SoftwareUpdateOffer[];
  packages: SitePackage[];
  notOffered: Array<{ updateId: string; reason: string }>;
  notes: string[];
}

/** A package folder of the run's library, fetched (and hash-checked) first. */
async function contentFolder(library: DownloadingContentLibrary, packageId: string, what: string): Promise<string> {
  if (!library.knows(packageId)) {
    throw new StepFailure(WIN32.fileNotFound, `package ${packageId} (${what}) is not one the site named for this computer`);
  }
  await library.ensure([packageId]);
  return library.packageFolder(packageId);
}

export class MpApplicationCatalog implements ApplicationCatalog {
  constructor(
    private readonly client: MpClient,
    private readonly library: DownloadingContentLibrary,
  ) {}

  async lookup(names: string[]): Promise<ApplicationLookup> {
    const answer = await this.client.request<ApplicationsAnswer>('POST', '/applications', { body: { names } });
    for (const p of answer.packages) this.library.add({ ...p, referencedAs: 'application' });
    return { applications: answer.applications, refused: answer.refused, unknown: answer.unknown };
  }

  content(packageId: string): Promise<string> {
    return contentFolder(this.library, packageId, "an application's content");
  }

  clearContent(packageId: string): Promise<void> {
    return this.library.evict(packageId);
  }
}

export class MpSoftwareUpdateCatalog implements SoftwareUpdateCatalog {
  constructor(
    private readonly client: MpClient,
    private readonly library: DownloadingContentLibrary,
  ) {}

  async deployed(): Promise<SoftwareUpdateOffer[]> {
    const answer = await this.client.request<SoftwareUpdatesAnswer>('GET', '/software-updates');
    for (const p of answer.packages) this.library.add({ ...p, referencedAs: 'software update deployment package' });
    return answer.updates;
  }

  content(packageId: string): Promise<string> {
    return contentFolder(this.library, packageId, 'a software update deployment package');
  }
}
