/** A page that throws while rendering shows the error instead of an empty console. */
import { Component, type ErrorInfo, type ReactNode } from 'react';

export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.warn('console page failed', error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="notice error" role="alert">
          This page failed: {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
