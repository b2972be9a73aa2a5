/**
 * Software Library › Operating Systems › Task Sequences. The node's paths:
 *   /software-library/task-sequences          the list (TaskSequenceList)
 *   /software-library/task-sequences/PS100004 one task sequence: properties and revision history (TaskSequenceDetail)
 *   /software-library/task-sequences/new       the Create Task Sequence Wizard (wizard/CreateTaskSequenceWizard)
 *   /software-library/task-sequences/PS100004/deploy  the Deploy Software Wizard (deploy/DeployWizard)
 *   /software-library/task-sequences/PS100004/history revision history, compare, revert, export (history/RevisionHistory)
 *   /software-library/task-sequences/PS100004/edit    the Task Sequence Editor (editor/Editor)
 * Later pages (the wizard, the editor) add their path here.
 */
import type { PageProps } from '../../../app/pages';
import { DeployWizard } from './deploy/DeployWizard';
import { TaskSequenceEditor } from './editor/Editor';
import { RevisionHistory } from './history/RevisionHistory';
import { TaskSequenceDetail } from './TaskSequenceDetail';
import { CreateTaskSequenceWizard } from './wizard/CreateTaskSequenceWizard';
import { TaskSequenceList } from './TaskSequenceList';

export default function TaskSequencesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <TaskSequenceList base={base} />;
  if (rest[0] === 'new') return <CreateTaskSequenceWizard base={base} />;
  if (rest[1] === 'edit') return <TaskSequenceEditor base={base} id={rest[0]!} />;
  if (rest[1] === 'deploy') return <DeployWizard base={base} id={rest[0]!} />;
  if (rest[1] === 'history') return <RevisionHistory base={base} id={rest[0]!} />;
  return <TaskSequenceDetail base={base} id={rest[0]!} />;
}
