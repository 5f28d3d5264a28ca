import { quoteLiteral } from '../../render/quote.js';
import { productOf } from '../multimaster.js';
import { error, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.multimaster_settings',
  target: 'node',
  severity: 'error',
  title: 'a multi-master node preloads its extension and tracks commit timestamps',
  docs: {
    why: 'Spock and pglogical run their workers only when preloaded (shared_preload_libraries), and resolve conflicts between nodes by commit timestamp (track_commit_timestamp).',
    fix: "ALTER SYSTEM SET shared_preload_libraries = '...,spock'; ALTER SYSTEM SET track_commit_timestamp = on; then restart PostgreSQL.",
  },
  check: (f) => {
    const m = f.multimaster;
    if (!m) return undefined;
    const ext = m.extension;
    const raw = f.settings.shared_preload_libraries;
    const preload = raw.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    const problems: string[] = [];
    if (!preload.includes(ext)) problems.push(`shared_preload_libraries (${raw || 'empty'}) lacks ${ext}`);
    if (f.settings.track_commit_timestamp !== 'on') problems.push('track_commit_timestamp is off');
    if (!problems.length) return undefined;
    const libs = [...preload.filter(Boolean).filter((l) => l !== ext), ext].join(',');
    return error(
      problems.join('; '),
      `${productOf(ext).name} runs its workers only when preloaded, and resolves conflicts between nodes by commit timestamp.`,
      `ALTER SYSTEM SET shared_preload_libraries = ${quoteLiteral(libs)}; ALTER SYSTEM SET track_commit_timestamp = on;  then restart PostgreSQL.`,
    );
  },
};
