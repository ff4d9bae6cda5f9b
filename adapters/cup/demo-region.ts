import type { DataSource } from 'typeorm';

/**
 * Demo data for the local CUP: the region's four health authorities with some of their
 * hospitals, a handful of visits and instrumental exams, an agenda per structure and
 * service with slots on working mornings for the next 90 days, and fictitious patients
 * (synthetic fiscal codes with valid check letters, mobile numbers of an unused range).
 */
export const DEMO_STRUCTURES = [
  [
    'aor-san-carlo',
    'AOR San Carlo - Ospedale San Carlo',
    'AOR San Carlo',
    'Potenza',
    'Via Potito Petrone, 85100 Potenza',
  ],
  [
    'irccs-crob',
    'IRCCS CROB - Centro di Riferimento Oncologico della Basilicata',
    'IRCCS CROB',
    'Rionero in Vulture',
    'Via Padre Pio 1, 85028 Rionero in Vulture',
  ],
  [
    'asp-villa-dagri',
    "Ospedale di Villa d'Agri",
    'ASP Potenza',
    'Marsicovetere',
    "Contrada Le Frascine, 85050 Villa d'Agri",
  ],
  ['asp-lauria', 'Ospedale di Lauria', 'ASP Potenza', 'Lauria', 'Via XXV Aprile, 85044 Lauria'],
  ['asm-matera', 'Ospedale Madonna delle Grazie', 'ASM Matera', 'Matera', 'Via Montescaglioso, 75100 Matera'],
  ['asm-policoro', 'Ospedale di Policoro', 'ASM Matera', 'Policoro', 'Via Salerno, 75025 Policoro'],
] as const;

export const DEMO_SERVICES = [
  ['89.7A.3', 'Prima visita cardiologica', 'visit'],
  ['95.02', 'Prima visita oculistica', 'visit'],
  ['89.7A.7', 'Prima visita dermatologica', 'visit'],
  ['89.13', 'Prima visita neurologica', 'visit'],
  ['89.52', 'Elettrocardiogramma', 'exam'],
  ['88.74.1', "Ecografia dell'addome superiore", 'exam'],
  ['87.37.1', 'Mammografia bilaterale', 'exam'],
  ['45.23', 'Colonscopia con endoscopio flessibile', 'exam'],
  // Sports-medicine visits for the athletes of sports clubs (C6), at Potenza and Matera only.
  ['89.7B.9', 'Visita di medicina dello sport', 'visit'],
] as const;

/** Which structure offers which service (every structure offers the first three). */
const OFFERS: Record<string, readonly string[]> = {
  'aor-san-carlo': ['89.7A.3', '95.02', '89.7A.7', '89.13', '89.52', '88.74.1', '45.23', '89.7B.9'],
  'irccs-crob': ['89.7A.3', '95.02', '89.7A.7', '88.74.1', '87.37.1', '45.23'],
  'asp-villa-dagri': ['89.7A.3', '95.02', '89.7A.7', '89.52', '88.74.1'],
  'asp-lauria': ['89.7A.3', '95.02', '89.7A.7', '89.52'],
  'asm-matera': ['89.7A.3', '95.02', '89.7A.7', '89.13', '89.52', '88.74.1', '87.37.1', '45.23', '89.7B.9'],
  'asm-policoro': ['89.7A.3', '95.02', '89.7A.7', '89.52', '88.74.1'],
};

export const DEMO_PATIENTS = [
  ['pat-0001', 'RSSMRA80A01G942K', 'Mario', 'Rossi', '1980-01-01', '+393330000001'],
  ['pat-0002', 'BNCLRA75M45F052G', 'Laura', 'Bianchi', '1975-08-05', '+393330000002'],
  ['pat-0003', 'VRDGPP62C12G942S', 'Giuseppe', 'Verdi', '1962-03-12', '+393330000003'],
  ['pat-0004', 'NREFNC90E50H096L', 'Francesca', 'Neri', '1990-05-10', '+393330000004'],
  ['pat-0005', 'GLLANN55T58F104D', 'Anna', 'Gallo', '1955-12-18', '+393330000005'],
  ['pat-0006', 'CSTLCU01P10A091M', 'Luca', 'Costa', '2001-09-10', '+393330000006'],
  ['pat-0007', 'MRNSFN68H21G942V', 'Stefano', 'Marino', '1968-06-21', '+393330000007'],
  ['pat-0008', 'LPRMRT47D52C619I', 'Maria', 'Loprete', '1947-04-12', null],
] as const;

const SEED_LOCK = 7_123_002;

/** Seeds the demo region once, when the CUP is empty. Returns true when it seeded. */
export async function seedDemoRegion(db: DataSource, days = 90): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const existing: { n: string }[] = await tx.query('SELECT count(*) AS n FROM cup_structures');
    if (Number(existing[0]?.n) > 0) return false;
    for (const [id, name, organization, city, address] of DEMO_STRUCTURES) {
      await tx.query('INSERT INTO cup_structures (id, name, organization, city, address) VALUES ($1, $2, $3, $4, $5)', [
        id,
        name,
        organization,
        city,
        address,
      ]);
    }
    for (const [code, name, kind] of DEMO_SERVICES) {
      await tx.query('INSERT INTO cup_services (code, name, kind) VALUES ($1, $2, $3)', [code, name, kind]);
    }
    for (const [structureId, codes] of Object.entries(OFFERS)) {
      for (const code of codes) {
        const service = DEMO_SERVICES.find((s) => s[0] === code);
        await tx.query(
          'INSERT INTO cup_schedules (id, structure_id, service_code, name, monitored) VALUES ($1, $2, $3, $4, $5)',
          [`${structureId}:${code}`, structureId, code, `${service?.[1] ?? code} - ${structureId}`, code === '89.7A.3'],
        );
      }
    }
    await generateSlots(tx, days);
    for (const p of DEMO_PATIENTS) {
      await tx.query(
        'INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile) VALUES ($1, $2, $3, $4, $5, $6)',
        [...p],
      );
    }
    return true;
  });
}

/**
 * Slots of 20 minutes from 08:30 to 12:30 (Europe/Rome) on working days, from tomorrow for
 * `days` days, for every active agenda. The first two weeks are mostly taken, as on a
 * real CUP, so that the earliest free slot differs between structures.
 */
export async function generateSlots(
  tx: { query(sql: string, params?: unknown[]): Promise<unknown> },
  days: number,
  scheduleFilter = '%',
): Promise<void> {
  await tx.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
     SELECT sc.id,
            (d::date + slot_time.t) AT TIME ZONE 'Europe/Rome',
            (d::date + slot_time.t + interval '20 minutes') AT TIME ZONE 'Europe/Rome',
            CASE WHEN d < current_date + 14 AND abs(hashtext(sc.id || d::text || slot_time.t::text)) % 10 < 8
                 THEN 'busy-unavailable' ELSE 'free' END
       FROM cup_schedules sc
      CROSS JOIN generate_series(current_date + 1, current_date + $1::int, interval '1 day') AS d
      CROSS JOIN LATERAL (SELECT time '08:30' + n * interval '20 minutes' AS t FROM generate_series(0, 11) AS n) AS slot_time
      WHERE sc.active AND sc.id LIKE $2 AND extract(isodow FROM d) <= 5
     ON CONFLICT (schedule_id, starts_at) DO NOTHING`,
    [days, scheduleFilter],
  );
}
