// Public surface of watchlists and alerts: the host, the adapters and the web API use these.
export { WatchAlerts, platformOf, type Alert, type AlertSink, type AlertTarget, type WatchAlertsOptions } from './alerts.ts';
export {
  WatchStore,
  WatchInputError,
  parseWatchInput,
  entityEntry,
  typeEntry,
  describeEntry,
  sameEntry,
  watchKeys,
  MAX_ENTITY_CHARS,
  type WatchEntry,
  type CommunityWatch,
  type AdminAlertChoice,
  type AddResult,
  type WatchInputProblem,
} from './watchlist.ts';
