import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channel occupancy (V7, §2.1.3, §2.2.3): per line and 30-minute band (Europe/Rome), the peak
 * of simultaneous calls, the calls refused busy and the channels the line had, kept so the
 * monthly report reads closed bands instead of sweeping the contact records again; and the
 * alerts a saturation raises for the supervisors. An alert is raised once per run of
 * saturated bands: `band_start` is the run's first band, unique per line.
 */
export class VoiceOccupancy1763900000028 implements MigrationInterface {
  name = 'VoiceOccupancy1763900000028';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE voice_occupancy_bands (
        line text NOT NULL,
        band_start timestamptz NOT NULL,
        peak integer NOT NULL CHECK (peak >= 0),
        refused integer NOT NULL CHECK (refused >= 0),
        channels integer NOT NULL CHECK (channels > 0),
        PRIMARY KEY (line, band_start)
      );

      CREATE TABLE voice_alerts (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('channels-saturated')),
        line text NOT NULL,
        raised_at timestamptz NOT NULL,
        band_start timestamptz NOT NULL,
        message text NOT NULL,
        acknowledged_at timestamptz,
        acknowledged_by text
      );
      CREATE UNIQUE INDEX voice_alerts_run_idx ON voice_alerts (kind, line, band_start);
      CREATE INDEX voice_alerts_open_idx ON voice_alerts (raised_at) WHERE acknowledged_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE voice_alerts; DROP TABLE voice_occupancy_bands;`);
  }
}
