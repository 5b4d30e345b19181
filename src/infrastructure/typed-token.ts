import {
  type AbstractNewable,
  type Container,
  LazyServiceIdentifier,
  type MapToResolvedValueInjectOptions,
} from 'inversify';

/**
 * An inversify service identifier that carries the type of what it names: a plain symbol
 * carries none, so a swapped dependency would still compile. Bind with `token.id`.
 */
export class Token<T> extends LazyServiceIdentifier<T> {
  readonly id: symbol;

  constructor(name: string) {
    const id = Symbol(name);
    super(() => id);
    this.id = id;
  }
}

/** Binds a class under itself, built from `deps`: tsc checks each against its parameter. */
export function bindClass<T, A extends unknown[]>(
  container: Container,
  type: new (...args: A) => T,
  deps: MapToResolvedValueInjectOptions<A>,
): void {
  container.bind(type).toResolvedValue((...args: A) => new type(...args), deps);
}

/** Binds a token, or a class under itself, to what `make` builds from `deps`, checked alike. */
export function bindFactory<T, A extends unknown[]>(
  container: Container,
  id: Token<T> | AbstractNewable<T>,
  deps: MapToResolvedValueInjectOptions<A>,
  make: (...args: A) => T,
): void {
  container.bind<T>(id instanceof Token ? id.id : id).toResolvedValue(make, deps);
}

/** What a token or class is bound to, typed. */
export function resolve<T>(container: Container, id: Token<T> | AbstractNewable<T>): T {
  return container.get<T>(id instanceof Token ? id.id : id);
}
