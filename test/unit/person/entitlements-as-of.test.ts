import { describe, expect, it } from 'vitest';
import type { ServiceInvolvement } from '../../../schemas/source-record.js';
import { entitlementHolder, entitlementStatus, involvementAsOf } from '../../../src/linkage/entitlements.js';
import { londonDate } from '../../../src/policy/decide.js';

describe('entitlements and involvements as of a day', () => {
  it('is in force from its first day through its last, ended after, future before', () => {
    const award = { from: '2026-04-01', to: '2027-03-31' };
    expect(entitlementStatus(award, false, '2026-03-31')).toBe('future');
    expect(entitlementStatus(award, false, '2026-04-01')).toBe('current');
    expect(entitlementStatus(award, false, '2027-03-31')).toBe('current');
    expect(entitlementStatus(award, false, '2027-04-01')).toBe('ended');
    expect(entitlementStatus({ from: null, to: null }, false, '2026-01-01')).toBe('current');
  });

  it('has ended, whatever its dates, once its record is closed', () => {
    expect(entitlementStatus({ from: '2020-01-01', to: null }, true, '2026-01-01')).toBe('ended');
    expect(entitlementStatus({ from: '2030-01-01', to: null }, true, '2026-01-01')).toBe('ended');
  });

  it('takes the day in London: at 23:30 UTC in summer the next day has begun', () => {
    const today = londonDate(new Date('2026-07-31T23:30:00Z'));
    expect(today).toBe('2026-08-01');
    expect(entitlementStatus({ from: null, to: '2026-07-31' }, false, today)).toBe('ended');
    expect(entitlementStatus({ from: null, to: '2026-07-31' }, false, londonDate(new Date('2026-01-31T23:30:00Z')))).toBe('current');
  });

  it('gives a council-tax disability reduction to the account, every other kind to the person', () => {
    expect(entitlementHolder({ kind: 'disability-reduction' })).toBe('account');
    expect(entitlementHolder({ kind: 'disability' })).toBe('person');
    expect(entitlementHolder({ kind: 'blue-badge' })).toBe('person');
    expect(entitlementHolder({ kind: 'single-person-discount' })).toBe('person');
  });

  it('reads an involvement closed once its record is closed or its last day has passed', () => {
    const open: ServiceInvolvement = { service: 'tenancy', reference: 'T1', role: 'tenant', status: 'open', from: '2020-01-01', to: '2026-05-31' };
    expect(involvementAsOf(open, false, '2026-05-31').status).toBe('open');
    expect(involvementAsOf(open, false, '2026-06-01').status).toBe('closed');
    expect(involvementAsOf({ ...open, to: null }, true, '2026-06-01').status).toBe('closed');
    expect(involvementAsOf({ ...open, to: null }, false, '2026-06-01')).toEqual({ ...open, to: null });
  });
});
