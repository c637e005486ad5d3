// The npm face as the server takes it: the registry router, the packument refresher and the
// hooks for npm's own tables (dist-tags, version entries) that control-plane copies need.
import type { Services } from '../../services.js';
import { NpmData } from './data.js';
import type { FormatAdapter } from '../shared/adapter.js';
import { npmRouter } from './routes.js';
import { npmDataHooks, npmRefresher } from './refresh.js';

export function npmAdapter(svc: Services): FormatAdapter {
  const data = new NpmData(svc.db);
  return { format: 'npm', router: npmRouter(svc, data), refresher: npmRefresher(data), dataHooks: npmDataHooks(data) };
}
