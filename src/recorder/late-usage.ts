// Transcripts that grew after their hooks (a local one watched after its turn ended, the copy of a
// remote one): read again at the start of the recorder's next pass, so its budget checks see the spend.
import type { StoreData } from '../store/types.js';
import { updateUsage } from './apply.js';
import { LateLines } from './late-lines.js';
import { placeOf } from '../drivers/place.js';

export class LateUsage {
  private readonly grown = new Set<string>();
  private readonly lateLines: LateLines;

  /** onGrow: a transcript grew (the recorder makes a pass). */
  constructor(private readonly onGrow: () => void) {
    this.lateLines = new LateLines((agent) => this.grew([agent]));
  }

  /** These agents' transcripts grew. */
  grew(agents: readonly string[]): void {
    for (const a of agents) this.grown.add(a);
    this.onGrow();
  }

  /** Reads the grown transcripts' usage into the data (in a pass); whether anything changed. */
  readInto(data: StoreData): boolean {
    let changed = false;
    for (const name of this.grown) if (data.agents[name] && updateUsage(data, data.agents[name])) changed = true;
    this.grown.clear();
    return changed;
  }

  /** Local agents with new status lines since `cursors` whose turn is over: their transcripts are watched for the turn's last lines. */
  followEnded(data: StoreData, cursors: Record<string, number>): void {
    for (const a of Object.values(data.agents)) {
      if (
        placeOf(a).filesHere &&
        a.transcript_path &&
        a.status !== 'busy' &&
        data.cursors?.[a.name] !== cursors[a.name]
      )
        this.lateLines.follow(a.name, a.transcript_path);
    }
  }

  stop(): void {
    this.lateLines.stop();
  }
}
