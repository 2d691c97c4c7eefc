import type { Rule } from '../judgement.ts';
import { addColumn } from './add-column.ts';
import { addConstraint } from './add-constraint.ts';
import { alterColumnType } from './alter-column-type.ts';
import { createIndex } from './create-index.ts';
import { dropColumn } from './drop-column.ts';
import { dropConstraint } from './drop-constraint.ts';
import { dropIndex } from './drop-index.ts';
import { dropTable } from './drop-table.ts';
import { rename } from './rename.ts';
import { rewriteTable } from './rewrite-table.ts';
import { setNotNull } from './set-not-null.ts';
import { truncate } from './truncate.ts';
import { validateConstraint } from './validate-constraint.ts';
import { wholeTableDml } from './whole-table-dml.ts';

/** Every lint rule, one per file. A node no rule matches is judged by the fallbacks in `lint.ts`. */
export const RULES: readonly Rule[] = [addColumn, addConstraint, alterColumnType, createIndex, dropColumn, dropConstraint, dropIndex, dropTable, rename, rewriteTable, setNotNull, truncate, validateConstraint, wholeTableDml];

/** The rule for a node type (`IndexStmt`, `AT_DropColumn`, `DropStmt:OBJECT_TABLE`), if any. */
export function ruleFor(kind: string): Rule | undefined {
  return RULES.find((r) => r.matches.includes(kind));
}
