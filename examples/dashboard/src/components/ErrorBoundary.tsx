// A page that throws while rendering shows an error state instead of a blank screen.
import { Component, type ReactNode } from 'react';

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: Error | null }> {
  state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidUpdate(prev: { resetKey?: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="state error" role="alert">
        <div className="state-title">This page failed to render</div>
        <div className="mono">{this.state.error.message}</div>
        <button onClick={() => this.setState({ error: null })}>Try again</button>
      </div>
    );
  }
}
