/**
 * Assets and Compliance › Devices. The node's paths:
 *   /assets/devices             the list, paged by the site (DeviceList)
 *   /assets/devices/16777220    one device: properties, variables, associations, collections, deployments (DeviceDetail)
 */
import type { PageProps } from '../../../app/pages';
import '../common/assets.css';
import { DeviceDetail } from './DeviceDetail';
import { DeviceList } from './DeviceList';

export default function DevicesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <DeviceList base={base} />;
  return <DeviceDetail base={base} resourceId={rest[0]!} />;
}
