import { benchOperate } from './operate.ts';
import { Engine } from '../src/docker/engine.ts';
await benchOperate(new Engine());
