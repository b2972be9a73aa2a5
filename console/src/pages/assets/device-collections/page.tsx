/**
 * Assets and Compliance › Device Collections. The node's paths:
 *   /assets/device-collections            the list (CollectionList)
 *   /assets/device-collections/PS100002   one collection: members, membership rules, collection variables (CollectionDetail)
 */
import type { PageProps } from '../../../app/pages';
import '../common/assets.css';
import { CollectionDetail } from './CollectionDetail';
import { CollectionList } from './CollectionList';

export default function DeviceCollectionsPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <CollectionList base={base} />;
  return <CollectionDetail base={base} collectionId={decodeURIComponent(rest[0]!)} />;
}
