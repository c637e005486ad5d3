// The Maven face as the server takes it: the repository-layout router and the refresher of the
// server-kept artifact metadata (maven-metadata.xml).
import type { Services } from '../../services.js';
import type { FormatAdapter } from '../shared/adapter.js';
import { refreshArtifactDocument } from './documents.js';
import { mavenRouter } from './routes.js';

export function mavenAdapter(svc: Services): FormatAdapter {
  return { format: 'maven', router: mavenRouter(svc), refresher: refreshArtifactDocument };
}
