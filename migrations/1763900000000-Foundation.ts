import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform's own records (deployments, user-task inbox, job outcomes, idempotency),
 * the local CUP (shaped on FHIR R4 Schedule / Slot / Appointment) and the SMS records.
 */
export class Foundation1763900000000 implements MigrationInterface {
  name = 'Foundation1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE resource_deployments (
        id bigserial PRIMARY KEY,
        resource_name text NOT NULL,
        resource_type text NOT NULL CHECK (resource_type IN ('process', 'form')),
        resource_id text,
        resource_key text,
        version integer,
        checksum text NOT NULL,
        source text NOT NULL CHECK (source IN ('repository', 'modeler')),
        status text NOT NULL CHECK (status IN ('deployed', 'rejected')),
        problem text,
        content text NOT NULL,
        deployed_by text,
        comment text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX resource_deployments_name_idx ON resource_deployments (resource_name, source, created_at DESC);
      CREATE UNIQUE INDEX resource_deployments_key_idx ON resource_deployments (resource_key) WHERE status = 'deployed';

      -- What each file under processes/ held when it was last deployed from the repository.
      CREATE TABLE repository_files (
        resource_name text PRIMARY KEY,
        checksum text NOT NULL,
        deployed_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE process_instances (
        process_instance_key text PRIMARY KEY,
        bpmn_process_id text NOT NULL,
        process_definition_key text NOT NULL,
        version integer NOT NULL,
        business_key text,
        started_by text,
        started_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX process_instances_business_key_idx ON process_instances (business_key);

      CREATE TABLE user_tasks (
        job_key text PRIMARY KEY,
        process_instance_key text NOT NULL,
        process_definition_key text NOT NULL,
        bpmn_process_id text NOT NULL,
        process_version integer,
        element_id text NOT NULL,
        element_instance_key text NOT NULL,
        name text NOT NULL,
        candidate_groups text[] NOT NULL DEFAULT '{}',
        candidate_users text[] NOT NULL DEFAULT '{}',
        assignee text,
        form_key text,
        due_date timestamptz,
        follow_up_date timestamptz,
        priority integer NOT NULL DEFAULT 50,
        business_key text,
        variables jsonb NOT NULL DEFAULT '{}',
        state text NOT NULL DEFAULT 'CREATED' CHECK (state IN ('CREATED', 'COMPLETED', 'CANCELED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_at timestamptz,
        completed_at timestamptz,
        completed_by text,
        last_seen_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX user_tasks_open_idx ON user_tasks (state, bpmn_process_id, created_at);
      CREATE INDEX user_tasks_groups_idx ON user_tasks USING gin (candidate_groups);
      CREATE INDEX user_tasks_assignee_idx ON user_tasks (assignee) WHERE state = 'CREATED';
      CREATE INDEX user_tasks_instance_idx ON user_tasks (process_instance_key);

      CREATE TABLE job_effects (
        effect_key text PRIMARY KEY,
        task_type text NOT NULL,
        job_key text NOT NULL,
        result jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE job_outcomes (
        id bigserial PRIMARY KEY,
        job_key text NOT NULL,
        task_type text NOT NULL,
        process_instance_key text NOT NULL,
        bpmn_process_id text NOT NULL,
        element_id text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('completed', 'bpmn_error', 'retry', 'incident')),
        error_code text,
        message text,
        retries_left integer,
        duration_ms integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX job_outcomes_instance_idx ON job_outcomes (process_instance_key, created_at);
      CREATE INDEX job_outcomes_outcome_idx ON job_outcomes (outcome, created_at);

      -- Local CUP, shaped on FHIR R4: Organization/Location, HealthcareService, Schedule, Slot, Patient, Appointment.
      CREATE TABLE cup_structures (
        id text PRIMARY KEY,
        name text NOT NULL,
        organization text NOT NULL,
        city text NOT NULL,
        address text NOT NULL,
        phone text
      );
      CREATE TABLE cup_services (
        code text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('visit', 'exam'))
      );
      CREATE TABLE cup_schedules (
        id text PRIMARY KEY,
        structure_id text NOT NULL REFERENCES cup_structures (id),
        service_code text NOT NULL REFERENCES cup_services (code),
        name text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        monitored boolean NOT NULL DEFAULT false
      );
      CREATE INDEX cup_schedules_service_idx ON cup_schedules (service_code, structure_id) WHERE active;
      CREATE TABLE cup_slots (
        id bigserial PRIMARY KEY,
        schedule_id text NOT NULL REFERENCES cup_schedules (id),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'busy', 'busy-unavailable')),
        CHECK (ends_at > starts_at),
        UNIQUE (schedule_id, starts_at)
      );
      CREATE INDEX cup_slots_free_idx ON cup_slots (schedule_id, starts_at) WHERE status = 'free';
      CREATE TABLE cup_patients (
        id text PRIMARY KEY,
        fiscal_code text NOT NULL UNIQUE,
        given_name text NOT NULL,
        family_name text NOT NULL,
        birth_date date NOT NULL,
        mobile text
      );
      CREATE TABLE cup_appointments (
        id text PRIMARY KEY,
        booking_code text NOT NULL UNIQUE,
        slot_id bigint NOT NULL REFERENCES cup_slots (id),
        patient_id text NOT NULL REFERENCES cup_patients (id),
        service_code text NOT NULL REFERENCES cup_services (code),
        prescription_nre text,
        status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'fulfilled', 'noshow')),
        cancellation_reason text,
        replaces_id text REFERENCES cup_appointments (id),
        request_key text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz
      );
      CREATE UNIQUE INDEX cup_appointments_slot_booked_idx ON cup_appointments (slot_id) WHERE status = 'booked';
      CREATE INDEX cup_appointments_patient_idx ON cup_appointments (patient_id);

      CREATE TABLE sms_messages (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        provider_sid text UNIQUE,
        to_number text NOT NULL,
        sender text NOT NULL,
        body text NOT NULL,
        encoding text NOT NULL,
        segments integer NOT NULL,
        status text NOT NULL,
        purpose text NOT NULL,
        reference text NOT NULL,
        error_code text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (purpose, reference)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE sms_messages, cup_appointments, cup_patients, cup_slots, cup_schedules, cup_services,
        cup_structures, job_outcomes, job_effects, user_tasks, process_instances, repository_files,
        resource_deployments;
    `);
  }
}
