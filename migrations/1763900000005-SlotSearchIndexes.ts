import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes measured by `npm run bench:cup` (docs/benchmarks.md): the earliest free slot of a
 * service is searched across all its agendas, which the per-agenda index could not order,
 * so every search read the whole slot table (60-110 ms over 200 agendas x 1 year); the
 * reminder extract reads bookings by start time.
 */
export class SlotSearchIndexes1763900000005 implements MigrationInterface {
  name = 'SlotSearchIndexes1763900000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX cup_slots_free_start_idx ON cup_slots (starts_at, id) WHERE status = 'free';
      CREATE INDEX cup_slots_start_idx ON cup_slots (starts_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX cup_slots_free_start_idx, cup_slots_start_idx');
  }
}
