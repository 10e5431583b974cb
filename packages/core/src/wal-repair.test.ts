import { describe, expect, it } from 'vitest';
import { WalRepairedError, describeRepair, isSyncError, type WalRepair } from './index.js';

const repair: WalRepair = { records: 1, bytes: 13, offset: 129, location: '/data/wal-0000000001.log', reason: 'an incomplete record (5 of 80 payload bytes)', opIds: ['a:3', 'a:4'] };

describe('WalRepairedError', () => {
  it('is a SyncError E_WAL_REPAIRED carrying the report', () => {
    const error = new WalRepairedError(repair, 'peer a');
    expect(isSyncError(error)).toBe(true);
    expect(error.code).toBe('E_WAL_REPAIRED');
    expect(error.name).toBe('WalRepairedError');
    expect(error.repair).toBe(repair);
  });

  it('says what was cut, where, why, and which ops', () => {
    expect(describeRepair(repair, 'peer a')).toMatch(
      /^the WAL of peer a had a torn tail \(an incomplete record \(5 of 80 payload bytes\)\): cut 1 record \(13 bytes\) \/data\/wal-0000000001\.log at byte 129, holding ops a:3, a:4\. /,
    );
    expect(describeRepair({ records: 0, bytes: 40, offset: 7, reason: 'zeros' }, 'x')).toContain('cut 0 records (40 bytes) at byte 7.');
  });
});
