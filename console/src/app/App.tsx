import { Progress } from '../components/Progress';
import { SessionProvider, useSession } from './session';
import { Shell } from './Shell';
import { SignIn } from './SignIn';

function Gate() {
  const { signed, restoring } = useSession();
  if (restoring) return <Progress label="Signing in" />;
  return signed ? <Shell /> : <SignIn />;
}

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
