import { describe, expect, it } from 'vitest';
import { exportFileName, isSingleRawFile } from './export-name';

describe('export file names', () => {
  it('names each format, and one direction of one connection as a plain .bin, every other raw export as a .tar', () => {
    expect(exportFileName({ scope: { connectionId: 'C3' }, format: 'pcapng', direction: 'both' })).toBe('socket-inspector-C3.pcapng');
    expect(exportFileName({ scope: { listenerId: 'L1' }, format: 'ndjson', direction: 'both' }, { stamp: '20261201T101500' })).toBe('socket-inspector-L1-connections-20261201T101500.ndjson');
    expect(exportFileName({ scope: { all: true }, format: 'transcript', direction: 'both' })).toBe('socket-inspector-all-connections.txt');
    expect(exportFileName({ scope: { connectionId: 'C3' }, format: 'raw', direction: 'in' })).toBe('socket-inspector-C3-in.bin');
    expect(exportFileName({ scope: { connectionId: 'C3' }, format: 'raw', direction: 'both' })).toBe('socket-inspector-C3.tar');
    // A listener's connections are an archive even when there is one: the page names it before it knows.
    expect(isSingleRawFile({ scope: { listenerId: 'L1' }, format: 'raw', direction: 'out' })).toBe(false);
    expect(exportFileName({ scope: { jobId: 'J2' }, format: 'raw', direction: 'out' }, { what: 'trace-streams' })).toBe('socket-inspector-trace-streams.tar');
  });
});
