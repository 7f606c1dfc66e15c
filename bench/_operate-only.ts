import { Engine } from '../src/docker/engine.ts';
import { benchOperate } from './operate.ts';

await benchOperate(new Engine());
