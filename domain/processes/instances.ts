import type { DataSource } from 'typeorm';

/**
 * The job type of the process-level end listener every model carries
 * (`<zeebe:executionListener eventType="end" type="record-instance-end"/>`): its job tells
 * the platform an instance has completed, which a bare broker reports nowhere else.
 */
export const INSTANCE_END_JOB_TYPE = 'record-instance-end';

export interface InstanceSighting {
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionKey: string;
  version: number;
  /** The instance's variables as a job or task saw them; merged into the last known ones. */
  variables: Record<string, unknown>;
  ended?: boolean;
}

/**
 * Keeps `process_instances` in step with what jobs and tasks see: instances started by a
 * timer or a message appear at their first job, variables are the last known values, and
 * the end listener's job closes the instance.
 */
export async function trackInstance(db: DataSource, s: InstanceSighting): Promise<void> {
  await db.query(
    `INSERT INTO process_instances (process_instance_key, bpmn_process_id, process_definition_key, version, variables,
       state, ended_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN 'COMPLETED' ELSE 'ACTIVE' END, CASE WHEN $6 THEN now() END)
     ON CONFLICT (process_instance_key) DO UPDATE
       SET variables = process_instances.variables || EXCLUDED.variables,
           state = CASE WHEN $6 THEN 'COMPLETED' ELSE process_instances.state END,
           ended_at = CASE WHEN $6 THEN now() ELSE process_instances.ended_at END`,
    [
      s.processInstanceKey,
      s.bpmnProcessId,
      s.processDefinitionKey,
      s.version,
      JSON.stringify(s.variables),
      s.ended === true,
    ],
  );
}
