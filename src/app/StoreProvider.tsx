import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { StudioStore } from './store/store.ts';
import type { StudioState } from './store/state.ts';

const StoreContext = createContext<StudioStore | null>(null);

export function StoreProvider({ store, children }: { store: StudioStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

function useStudioStore(): StudioStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStudio outside <StoreProvider>');
  return store;
}

/** A slice of the studio's state; objects and arrays are compared shallowly. */
export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(useStudioStore(), useShallow(selector));
}

/** The actions (stable: they never change). */
export function useActions(): StudioState {
  return useStudioStore().getState();
}
