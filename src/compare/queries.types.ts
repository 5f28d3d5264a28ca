/* Generated from schemas/compare-queries.schema.json by `npm run gen:types`. Do not edit. */

export type Generator =
  | (
      | {
          /**
           * @minItems 2
           * @maxItems 2
           */
          random: [number, number];
        }
      | {
          /**
           * @minItems 1
           */
          choice: [string | number | boolean, ...(string | number | boolean)[]];
        }
      | {
          sample: {
            /**
             * Default: public.
             */
            schema?: string;
            table: string;
            column: string;
            /**
             * Default: 1000.
             */
            size?: number;
          };
        }
      | {
          value: string | number | boolean;
        }
    )
  | undefined;

/**
 * The read queries `migrate compare` runs on the source and every node, named by compare.queries in the plan. Each query is one read-only statement; :name in its SQL is filled from the generator of that name in params, like pgbench's \set. Every target gets the same sequence of values.
 */
export interface CompareQueries {
  /**
   * @minItems 1
   * @maxItems 50
   */
  queries: [Query, ...Query[]];
}
export interface Query {
  /**
   * Names the query in the table, the chart and report.json.
   */
  name: string;
  /**
   * One read-only statement (SELECT, VALUES, TABLE, or WITH ... SELECT without data-modifying parts). :name is a parameter; ::type is a cast, not a parameter.
   */
  sql: string;
  /**
   * A generator per :name the SQL uses.
   */
  params?: {
    [k: string]: Generator | undefined;
  };
}
